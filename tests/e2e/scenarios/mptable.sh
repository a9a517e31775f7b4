# mptable: pvisor run --acpi off with acpi=off: the same checks as acpi.sh (pvtest.py expects
# the MP table, no ACPI tables, and every vCPU, the platform device and pvcore as with ACPI).
. /scenarios/acpi.sh
