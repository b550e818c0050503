"""A small, believable org for demos: companies, their people and a few leads."""

from __future__ import annotations

from .state import EmulatorState

_COMPANIES = [
    ("Northwind Traders", "https://northwind.example", "Consulting"),
    ("Globex Corporation", "https://globex.example", "Technology"),
    ("Initech", "https://initech.example", "Finance"),
    ("Umbrella Health", "https://umbrella.example", "Healthcare"),
    ("Stark Analytics", "https://stark.example", "Technology"),
]
_PEOPLE = [
    ("Nancy", "Davolio", "Head of Sales", 0),
    ("Andrew", "Fuller", "VP Operations", 0),
    ("Hank", "Scorpio", "CEO", 1),
    ("Lisa", "Simpson", "CFO", 1),
    ("Peter", "Gibbons", "Engineer", 2),
    ("Joanna", "Lumbergh", "Product Lead", 2),
    ("Alice", "Abernathy", "Chief Medical Officer", 3),
    ("Pepper", "Potts", "COO", 4),
]
# Salesforce users of the demo's rep and manager (Relintel's demo logins): their activity is
# owned by them in the org; everyone else's stays with the integration user.
_USERS = [
    ("riley.rep@northwind.example.sf", "riley.rep@northwind.example", "Riley Rep"),
    ("maya.manager@northwind.example.sf", "maya.manager@northwind.example", "Maya Manager"),
]
_LEADS = [
    ("Ellen", "Ripley", "Weyland Logistics"),
    ("Dana", "Scully", "Bureau Labs"),
    ("Marty", "McFly", "Hill Valley Motors"),
]


def seed_demo_org(state: EmulatorState) -> None:
    for username, email, name in _USERS:
        state.add_user(username, email=email, name=name)
    account_ids = state.seed(
        "Account", [{"Name": name, "Website": site, "Industry": industry} for name, site, industry in _COMPANIES]
    )
    state.seed(
        "Contact",
        [
            {
                "FirstName": first,
                "LastName": last,
                "Title": title,
                "Email": f"{first.lower()}.{last.lower()}@{_COMPANIES[index][1].removeprefix('https://')}",
                "AccountId": account_ids[index],
            }
            for first, last, title, index in _PEOPLE
        ],
    )
    state.seed(
        "Lead",
        [
            {
                "FirstName": first,
                "LastName": last,
                "Company": company,
                "Email": f"{first.lower()}@{last.lower()}.example",
            }
            for first, last, company in _LEADS
        ],
    )
