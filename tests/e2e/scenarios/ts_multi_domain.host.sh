# ts_multi_domain: three guests at once under one toolstack (e2e-multi-domain). Each gets a
# distinct domain id and default MAC, reads its own subtree and is refused the others'
# (EACCES), `pvisor list` shows all three running, and `pvisor shutdown -w` ends each
# through its store (control/shutdown), cooperatively.
names="ts-a ts-b ts-c"
for n in $names; do
    "$P" create "$(ts_cfg "$n" 'vif = [ "" ]')" || ts_fail "create $n"
done
ids=
for n in $names; do
    id=$(ts_agent "$n") && ids="$ids $id"
done
value domids_distinct "$(echo $ids | tr ' ' '\n' | sort -u | grep -c .)"
value listed "$(for n in $names; do ts_state "$n"; done | tr '\n' , | sed 's/,$//')"
macs= denied= own=
for id in $ids; do
    macs="$macs $(ts_run "$id" 'readval device/vif/0/mac')"
    others=
    for o in $ids; do [ "$o" = "$id" ] || others="$others $o"; done
    # Every other domain's name and its device directory: all refused, nothing else.
    got=$(ts_run "$id" "for o in $others; do st \"read /local/domain/\$o/name\" | head -n 1; st \"ls /local/domain/\$o/device\" | head -n 1; done | sort -u")
    denied="$denied,$(echo "$got" | sed 's/^ERR -13 //; s/ *$//')"
    [ "$(ts_run "$id" 'readval name')" = "$(ts_run "$id" 'readval /local/domain/$domid/name')" ] &&
        own="$own,ok" || own="$own,bad"
done
value macs_distinct "$(echo $macs | tr ' ' '\n' | grep -E '^([0-9a-f]{2}:){5}[0-9a-f]{2}$' | sort -u | grep -c .)"
value macs "$(echo $macs | tr ' ' ,)"
value others_denied "${denied#,}"
value own_read "${own#,}"
down=
for n in $names; do
    if "$P" shutdown -w -t 120 "$n"; then down="$down,ok"; else down="$down,failed"; fi
done
value shutdown_w "${down#,}"
value listed_after "$("$P" list | tail -n +2 | grep -c .)"
