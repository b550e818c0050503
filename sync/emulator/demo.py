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
_LEADS = [
    ("Ellen", "Ripley", "Weyland Logistics"),
    ("Dana", "Scully", "Bureau Labs"),
    ("Marty", "McFly", "Hill Valley Motors"),
]


def seed_demo_org(state: EmulatorState) -> None:
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
