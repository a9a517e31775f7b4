# console: a command typed on the console (hvc0 under pvisor) runs and its output comes back.
# The host types the line after PVTEST-READY; the line discipline delivers it on newline.
echo PVTEST-READY
if read -r line </dev/console; then
    eval "$line"
    result pass
else
    result fail no-input
fi
