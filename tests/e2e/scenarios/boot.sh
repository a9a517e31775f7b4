# boot: the guest reached init; report the kernel release for the host to compare.
value uname "$(uname -r)"
result pass
