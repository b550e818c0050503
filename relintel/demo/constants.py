"""The demo organization's logins: `make run` prints them, `seed_demo` creates them."""

DEMO_PASSWORD = "relintel-demo"
DEMO_ORGANIZATION_SLUG = "northwind"
DEMO_LOGINS = {
    "admin": "admin@northwind.example",
    "manager": "maya.manager@northwind.example",
    "rep": "riley.rep@northwind.example",
}
