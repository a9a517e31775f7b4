# ts_lib.sh: helpers for the host half of the toolstack scenarios (toolstack-host.sh sources
# it). The guests run scenarios/ts_agent.sh: each carries out the shell commands the host puts
# in its store (data/cmd) and answers in data/result, so one host script drives them all.
P=$PVTEST_PVISOR
# Command numbers live in a file: ts_run mostly runs inside $(...), a subshell.
ts_seqfile=/tmp/ts-seq
echo 0 >$ts_seqfile

ts_fail() { echo "PVTEST-HOST-ACTION-FAILED $*"; }
value() { echo "PVTEST-VALUE $1=$2"; }

# ts_cfg NAME [LINE...]: an xl.cfg for a guest named NAME running ts_agent.sh (or the guest
# scenario $ts_scenario), with $ts_memory MiB (default 256), in /tmp.
ts_cfg() {
    name=$1
    shift
    {
        echo "name = \"$name\""
        echo "kernel = \"$PVTEST_KERNEL\""
        echo "ramdisk = \"$PVTEST_INITRD\""
        # pvisor's platform tables as run-l2.sh's (PVTEST_ACPI): xl's acpi = 1 or 0.
        if [ "${PVTEST_ACPI:-on}" = off ]; then
            echo "acpi = 0"
            acpi_off="acpi=off "
        else
            acpi_off=
        fi
        echo "extra = \"console=ttyS0 console=hvc0 ${acpi_off}panic=-1 quiet pvtest.scenario=${ts_scenario:-ts_agent} pvtest.vmm=pvisor pvtest.role=$name${PVTEST_L2_EXTRA:+ $PVTEST_L2_EXTRA}\""
        echo "memory = ${ts_memory:-256}"
        echo "vcpus = 1"
        for line in "$@"; do echo "$line"; done
    } >"/tmp/$name.cfg"
    echo "/tmp/$name.cfg"
}

# The domain id of NAME (from `pvisor list`), or nothing.
ts_domid() { "$P" list 2>/dev/null | awk -v n="$1" '$1 == n { print $2 }'; }
# The state of NAME.
ts_state() { "$P" list 2>/dev/null | awk -v n="$1" '$1 == n { print $5 }'; }
ts_read() { "$P" store read "$1" 2>/dev/null; }

# ts_wait TRIES PAUSE COMMAND...: COMMAND until it succeeds (status 1 if it never does).
ts_wait() {
    _left=$1 _pause=$2
    shift 2
    until "$@"; do
        _left=$((_left - 1))
        [ $_left -gt 0 ] || return 1
        sleep "$_pause"
    done
}

_agent_ready() { [ "$(ts_read "/local/domain/$1/data/agent")" = ready ]; }
# ts_agent NAME [SECONDS]: waits until NAME's agent runs; prints its domain id.
ts_agent() {
    _id=
    ts_wait "${2:-300}" 1 sh -c "[ -n \"\$($P list 2>/dev/null | awk -v n=$1 '\$1 == n { print \$2 }')\" ]" ||
        { ts_fail "$1 is not listed"; return 1; }
    _id=$(ts_domid "$1")
    ts_wait "${2:-300}" 1 _agent_ready "$_id" || { ts_fail "$1 (domain $_id): no agent"; return 1; }
    echo "PVTEST-TS $1 is domain $_id, its agent runs" >&2
    echo "$_id"
}

# ts_run DOMID COMMAND: runs COMMAND (one line of sh) in the guest; prints its output (one
# line, as the guest stored it); the status is the command's.
ts_run() {
    ts_seq=$(($(cat $ts_seqfile) + 1))
    echo $ts_seq >$ts_seqfile
    echo "PVTEST-TS run $ts_seq in domain $1: $2" >&2
    "$P" store write "/local/domain/$1/data/cmd" "$ts_seq $2" >/dev/null ||
        { ts_fail "store write to domain $1"; return 1; }
    _res=
    _got() {
        _res=$(ts_read "/local/domain/$1/data/result")
        [ "${_res%% *}" = "$ts_seq" ]
    }
    ts_wait "${3:-300}" 1 _got "$1" || { ts_fail "domain $1 did not run: $2"; return 1; }
    _res=${_res#* }
    _st=${_res%% *}
    _out=${_res#* }
    [ "$_out" = "$_st" ] && _out=
    echo "$_out"
    return "$_st"
}
