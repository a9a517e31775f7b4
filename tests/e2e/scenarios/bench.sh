# bench: nothing to do; the host times launch to PVTEST-INIT and reads the VMM's VmHWM.
result pass
