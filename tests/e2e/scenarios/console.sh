# console: a command typed on the console (hvc0 under pvisor) runs and its output comes back.
# The host types the line after PVTEST-READY; the line discipline delivers it on newline.
# stdin is the console init was given: hvc0 under pvisor (l2-init.sh), ttyS0 under QEMU.
echo PVTEST-READY
if read -r line; then
    eval "$line"
    result pass
else
    result fail no-input
fi
