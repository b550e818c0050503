"""Word lists the demo organization is built from (our own, not Faker's).

Plain tuples, no ORM. Order matters: the seeded generator picks by index, so
changing a list changes every demo data set built from it.
"""

from __future__ import annotations

FIRST_NAMES = (
    "Aaron", "Abigail", "Adam", "Adrian", "Aisha", "Alan", "Alberto", "Alejandra", "Alex", "Alice",
    "Amara", "Amir", "Ana", "Andrea", "Andrew", "Angela", "Anil", "Anna", "Anthony", "Arjun",
    "Astrid", "Ava", "Beatriz", "Ben", "Bianca", "Boris", "Brandon", "Brian", "Bruno", "Caleb",
    "Camila", "Carlos", "Carmen", "Caroline", "Catherine", "Chen", "Chloe", "Chris", "Claire", "Daniel",
    "Daniela", "David", "Deepa", "Diana", "Diego", "Dmitri", "Elena", "Eli", "Elif", "Elizabeth",
    "Emily", "Emma", "Eric", "Erik", "Esther", "Ethan", "Fatima", "Felix", "Fernando", "Fiona",
    "Francesca", "Gabriel", "Grace", "Hana", "Hannah", "Harper", "Hassan", "Helen", "Henry", "Hiroshi",
    "Ian", "Ibrahim", "Ines", "Ingrid", "Isaac", "Isabel", "Ivan", "Jack", "Jacob", "James",
    "Jasmine", "Javier", "Jennifer", "Jessica", "Jin", "Joanna", "Jonas", "Jordan", "Jorge", "Julia",
    "Julian", "Kai", "Karen", "Kate", "Kenji", "Kevin", "Kofi", "Laila", "Lars", "Laura",
    "Leah", "Leo", "Liam", "Lin", "Lucas", "Lucia", "Luis", "Maria", "Marcus", "Mariana",
    "Mark", "Marta", "Mateo", "Matthew", "Mei", "Michael", "Miguel", "Mina", "Mohammed", "Nadia",
    "Naomi", "Nathan", "Nikhil", "Nina", "Noah", "Nora", "Olivia", "Omar", "Oscar", "Pablo",
    "Patrick", "Paul", "Priya", "Rachel", "Rafael", "Rahul", "Ravi", "Rebecca", "Ricardo", "Robert",
    "Rosa", "Ryan", "Samuel", "Sara", "Sebastian", "Sofia", "Sophie", "Stefan", "Sunil", "Tariq",
    "Thomas", "Tomas", "Valentina", "Victor", "Wei", "William", "Yara", "Yuki", "Zainab", "Zoe",
)  # fmt: skip

LAST_NAMES = (
    "Abbott", "Adeyemi", "Alvarez", "Andersen", "Bailey", "Baker", "Banerjee", "Barnes", "Becker", "Bennett",
    "Berg", "Bianchi", "Brooks", "Brown", "Campbell", "Carter", "Castillo", "Chang", "Chen", "Clarke",
    "Coleman", "Collins", "Cooper", "Costa", "Cruz", "Das", "Davies", "Diaz", "Dubois", "Edwards",
    "Evans", "Fischer", "Fernandez", "Fitzgerald", "Foster", "Garcia", "Gomez", "Gonzalez", "Gordon", "Graham",
    "Gupta", "Hall", "Hansen", "Harris", "Hayes", "Hernandez", "Hill", "Hoffmann", "Hughes", "Ito",
    "Iyer", "Jackson", "Jensen", "Johansson", "Johnson", "Jones", "Kato", "Kelly", "Khan", "Kim",
    "Kowalski", "Kumar", "Larsen", "Lee", "Lewis", "Lopez", "Martin", "Martinez", "Mehta", "Meyer",
    "Miller", "Mitchell", "Moreau", "Morgan", "Morris", "Murphy", "Nakamura", "Nguyen", "Nielsen", "Novak",
    "O'Brien", "Okafor", "Olsen", "Ortiz", "Owens", "Park", "Patel", "Perez", "Peterson", "Phillips",
    "Ramirez", "Reddy", "Reed", "Reyes", "Richter", "Rivera", "Roberts", "Robinson", "Rodriguez", "Rossi",
    "Russo", "Sanchez", "Santos", "Sato", "Schmidt", "Schneider", "Scott", "Shah", "Silva", "Singh",
    "Smith", "Sorensen", "Stewart", "Sullivan", "Suzuki", "Tanaka", "Taylor", "Thompson", "Torres", "Turner",
    "Wagner", "Walker", "Wang", "Ward", "Watson", "Weber", "White", "Williams", "Wilson", "Wong",
    "Wright", "Wu", "Yamamoto", "Yang", "Young", "Zhang", "Zhao", "Zimmermann",
)  # fmt: skip

COMPANY_PREFIXES = (
    "Acorn", "Alder", "Alpine", "Amber", "Anchor", "Apex", "Arbor", "Atlas", "Aurora", "Beacon",
    "Birch", "Blue Harbor", "Bright", "Brook", "Canyon", "Cascade", "Cedar", "Clearwater", "Cobalt", "Copper",
    "Crescent", "Crest", "Delta", "Ember", "Evergreen", "Falcon", "Fern", "Granite", "Green Valley", "Harbor",
    "Hawthorn", "Helix", "High Plains", "Horizon", "Iron", "Juniper", "Keystone", "Lakeside", "Lantern", "Linden",
    "Maple", "Meridian", "Mesa", "Northstar", "Nova", "Oak", "Orchard", "Pacific", "Pine", "Pioneer",
    "Prairie", "Quarry", "Redwood", "Ridge", "River", "Sable", "Sage", "Sierra", "Silver", "Slate",
    "Spruce", "Stone", "Summit", "Sunrise", "Tidal", "Timber", "Trident", "Union", "Vantage", "Vertex",
    "Westbrook", "Willow", "Zenith",
)  # fmt: skip

COMPANY_CORES = (
    "Analytics", "Bio", "Capital", "Cloud", "Data", "Dynamics", "Energy", "Engineering", "Foods", "Freight",
    "Health", "Labs", "Learning", "Logistics", "Machines", "Materials", "Media", "Medical", "Mobility", "Networks",
    "Pharma", "Power", "Robotics", "Security", "Software", "Solar", "Systems", "Technologies", "Therapeutics", "Water",
)  # fmt: skip

COMPANY_SUFFIXES = ("", "", "", "", "Inc.", "Group", "Partners", "Co.", "LLC", "Holdings", "Corp.", "Ltd.")

INDUSTRIES = (
    "Software", "Financial services", "Healthcare", "Manufacturing", "Logistics", "Retail", "Energy",
    "Biotechnology", "Education", "Media", "Telecommunications", "Real estate", "Food and beverage",
    "Professional services", "Construction", "Insurance",
)  # fmt: skip

JOB_TITLES = (
    "Chief Executive Officer", "Chief Financial Officer", "Chief Operating Officer", "Chief Technology Officer",
    "Chief Revenue Officer", "VP of Sales", "VP of Engineering", "VP of Marketing", "VP of Operations",
    "Head of Procurement", "Head of Partnerships", "Head of IT", "Director of Finance", "Director of Operations",
    "Director of Product", "Director of Business Development", "Engineering Manager", "Product Manager",
    "Procurement Manager", "IT Manager", "Operations Manager", "Marketing Manager", "Account Director",
    "Senior Buyer", "Controller", "General Counsel", "Founder", "Co-founder", "Chief of Staff",
    "Solutions Architect", "Data Science Lead", "Head of People", "Regional Manager", "Program Manager",
)  # fmt: skip

CITIES = (
    "New York, NY", "Boston, MA", "Chicago, IL", "San Francisco, CA", "Seattle, WA", "Austin, TX",
    "Denver, CO", "Atlanta, GA", "Miami, FL", "Los Angeles, CA", "Philadelphia, PA", "Minneapolis, MN",
    "Portland, OR", "Dallas, TX", "Raleigh, NC", "Washington, DC", "London, UK", "Toronto, ON",
)  # fmt: skip

# Area codes per city above (same order), all accepted by ``phonenumbers``; the
# 555 exchange is the one films use, so no real person gets a call.
CITY_AREA_CODES = (
    "212", "617", "312", "415", "206", "512", "303", "404", "305", "213", "215", "612",
    "503", "214", "919", "202", "", "416",
)  # fmt: skip

FREE_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "icloud.com", "proton.me", "hotmail.com")

INTERESTS = (
    "sailing", "trail running", "climate tech", "jazz", "chess", "cycling", "photography", "wine",
    "board games", "open source", "mentoring founders", "golf", "cooking", "marathons", "history podcasts",
    "skiing", "gardening", "AI in operations", "supply-chain resilience", "design systems", "tennis",
    "early-stage investing", "woodworking", "birdwatching",
)  # fmt: skip

NEEDS = (
    "looking for a CFO", "hiring a VP of Sales", "wants an intro to a logistics partner",
    "evaluating data warehouse vendors", "needs a SOC 2 auditor", "raising a Series B",
    "looking for a channel partner in EMEA", "wants references from similar customers",
    "hiring senior engineers", "needs a fractional CMO", "expanding into Canada",
    "looking for board members", "needs help with pricing strategy", "wants to speak at industry events",
    "replacing their CRM", "looking for a manufacturing partner",
)  # fmt: skip

EXPERTISE = (
    "Series A fundraising", "enterprise procurement", "SaaS pricing", "cloud migration", "FDA approvals",
    "warehouse automation", "B2B marketing", "M&A integration", "data privacy (GDPR)", "hiring sales teams",
    "renewable energy projects", "public sector sales", "product-led growth", "cybersecurity audits",
    "international expansion", "treasury management",
)  # fmt: skip

EMAIL_TOPICS = (
    "Q{q} planning", "Renewal terms", "Pricing proposal", "Pilot results", "Security questionnaire",
    "Intro call follow-up", "Contract redlines", "Implementation timeline", "Quarterly business review",
    "Budget for next year", "Reference call", "Case study draft", "Integration questions",
    "Onboarding plan", "Event invitation", "Partnership idea", "Demo recap", "Procurement next steps",
    "Roadmap preview", "Thanks for today",
)  # fmt: skip

MEETING_TOPICS = (
    "Discovery call", "Product demo", "Quarterly business review", "Pilot kickoff", "Executive sponsor check-in",
    "Technical deep dive", "Pricing workshop", "Renewal review", "Lunch", "Coffee", "Onsite visit",
    "Implementation sync",
)  # fmt: skip

CALL_TOPICS = (
    "Quick check-in", "Follow-up on proposal", "Left voicemail", "Scheduling the demo", "Budget question",
    "Reference check", "Renewal call", "Intro call",
)  # fmt: skip

NOTE_TOPICS = (
    "Account notes", "Org chart update", "Champion is changing roles", "Competitor in the deal",
    "Budget approved", "Met at conference", "Prefers email over calls",
)  # fmt: skip

EMAIL_SNIPPETS = (
    "Thanks for the time today, attaching the summary we discussed.",
    "Circling back on the proposal: happy to walk your team through it.",
    "Could we move our call to Thursday afternoon?",
    "Great to hear the pilot is going well. Next step is the security review.",
    "Sharing the case study I mentioned; the results section is on page 3.",
    "Looping in my colleague who runs implementation.",
    "Following up on the contract: legal has a few small redlines.",
    "Let me know if the revised numbers work for your budget.",
)  # fmt: skip

HELP_GIVEN = (
    ("intro", "Introduction to {other}, who has done this before"),
    ("advice", "Notes on how peers structured their pricing"),
    ("resource", "Our benchmark report on {topic}"),
    ("referral", "Referred them to a recruiter we trust"),
    ("endorsement", "Recommendation on LinkedIn for their {topic} work"),
    ("advice", "Feedback on their pitch deck before the board meeting"),
    ("resource", "Template for a security questionnaire"),
    ("other", "Two tickets to the industry dinner"),
)  # fmt: skip

HELP_RECEIVED = (
    ("intro", "Introduced us to {other}"),
    ("referral", "Referred a peer company to us"),
    ("advice", "Explained how their procurement committee decides"),
    ("endorsement", "Agreed to be a reference customer"),
    ("resource", "Shared their vendor evaluation scorecard"),
)  # fmt: skip

# The demo organization's own people. The first manager, rep and the admin are
# the logins in ``constants.DEMO_LOGINS``; the rest scale with ``--users``.
ADMIN_NAME = "Avery Admin"
MANAGER_NAMES = ("Maya Manager", "Omar Okafor", "Grace Lindqvist", "Hugo Ferreira", "Ines Marchetti", "Jonah Weiss")
REP_NAMES = (
    "Riley Rep", "Sam Whitaker", "Priya Raman", "Diego Alvarado", "Hannah Cole", "Marcus Bell",
    "Tara Quinn", "Leo Fontaine", "Nadia Petrova", "Kwame Mensah", "Lily Chen", "Oscar Lindgren",
    "Farah Haddad", "Ben Carver", "Chloe Dupont", "Ravi Menon", "Sofia Greco", "Ethan Brooks",
    "Mei Tanaka", "Jonas Berg", "Amelia Ross", "Tomas Novak", "Zara Ali", "Felix Wagner",
    "Isla Murray", "Mateo Ruiz", "Aiko Mori", "Noah Fischer", "Yasmin Said", "Owen Price",
    "Clara Vogel", "Dev Patel", "Elsa Holm", "Luca Bruno", "Maya Iyer", "Rafael Costa",
    "Ada Byrne", "Kenji Ono", "Lena Kraus", "Victor Hale",
)  # fmt: skip
TEAM_NAMES = ("East", "West", "Central", "North", "South", "Enterprise")
