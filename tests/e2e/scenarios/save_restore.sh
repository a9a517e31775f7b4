# save_restore: a checksummed sequence on the PV console goes on across a save, the VMM's exit
# and a restore from the file (e2e-save-restore-basic).
#
# The guest prints "PVSEQ i sum" (sum_i = (sum_{i-1} * 31 + i) mod 1000000007) every 0.2 s of
# guest time, and at i = 10 asks the host half for PVTEST-HOST-SAVE-RESTORE: run-l2.sh saves
# the domain through vmm.sock (the VMM exits with status 8), starts `pvisor run --restore`
# on the file and types "restored" on the console once the restored guest printed again. The guest counts on
# until 20 lines after that word arrived, then reports:
#   restored      yes when the word arrived (the console input of the restored VMM works)
#   max_gap_ms    the largest step of CLOCK_MONOTONIC (/proc/uptime) between two lines: guest
#                 time stops while saved, so no step is far above 0.2 s; a negative step
#                 (a clock that restarted) is reported as "backwards"
#   timer_after   ok if pv-timer0 counts on after the restore (no timer left stuck)
# The host (pvtest.py save_restore_check) checks every PVSEQ line 1..N once, in order, with
# its checksum, and that the restore came between them.
count() { awk -v n="$1" '$NF == n { s = 0; for (i = 2; i < NF; i++) if ($i ~ /^[0-9]+$/) s += $i; print s; exit }' /proc/interrupts; }
ms_now() { awk '{ printf "%d", $1 * 1000 }' /proc/uptime; }
stty -echo 2>/dev/null
i=0 sum=0 after=-1 maxgap=0 backwards=
prev=$(ms_now)
while [ $i -lt 300 ]; do
    i=$((i + 1))
    sum=$(( (sum * 31 + i) % 1000000007 ))
    echo "PVSEQ $i $sum"
    [ $i -eq 10 ] && echo "PVTEST-HOST-SAVE-RESTORE"
    if read -t 0.2 line; then
        case $line in restored*) [ $after -ge 0 ] || after=0 ;; esac
    fi
    now=$(ms_now)
    gap=$((now - prev))
    [ $gap -ge 0 ] || backwards=1
    [ $gap -le $maxgap ] || maxgap=$gap
    prev=$now
    if [ $after -ge 0 ]; then
        after=$((after + 1))
        [ $after -lt 20 ] || break
    fi
done
value seq_last "$i"
[ $after -ge 0 ] && value restored yes || value restored no
value max_gap_ms "${backwards:+backwards}${backwards:-$maxgap}"
t0=$(count pv-timer0)
sleep 1
t1=$(count pv-timer0)
[ -n "$t0" ] && [ "${t1:-0}" -gt "$t0" ] && value timer_after ok || value timer_after "stuck:$t0:$t1"
[ $after -ge 0 ] || fail "no restored word on the console within 300 lines"
result pass
