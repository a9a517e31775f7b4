#!/usr/bin/env python3
"""pvtest_retry_test.py: which e2e runs pvtest.py retries (a flake of the emulated machine)
and which it never retries (a failure of pvisor or its guest), on consoles as run-l2.sh
and the guest write them."""
import sys
import tempfile
import unittest
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pvtest  # noqa: E402

INIT = 'PVTEST-START\nPVTEST-INIT\n'


def exit_line(status, vmm='pvisor'):
    return f'PVTEST-VMM-EXIT vmm={vmm} status={status}\n'


class PvisorFailure(unittest.TestCase):
    def test_a_clean_exit_is_no_failure(self):
        self.assertIsNone(pvtest.pvisor_failure(INIT + exit_line(0)))

    def test_failing_statuses_name_what_happened(self):
        for status, words in (('1', 'pvisor failed'), ('4', 'triple-faulted'),
                              ('5', 'crashed'), ('6', 'watchdog')):
            got = pvtest.pvisor_failure(INIT + exit_line(status))
            self.assertIn(words, got)
            self.assertIn(f'exit status {status}', got)

    def test_a_signal_is_a_crash(self):
        self.assertEqual(pvtest.pvisor_failure(INIT + exit_line(139)),
                         'pvisor died of signal 11 (exit status 139)')
        self.assertEqual(pvtest.pvisor_failure(INIT + exit_line(134)),
                         'pvisor died of signal 6 (exit status 134)')

    def test_stops_and_reboots_are_not_crashes(self):
        for status in ('3', '7'):
            self.assertIsNone(pvtest.pvisor_failure(INIT + exit_line(status)))

    def test_qemus_statuses_are_not_pvisors(self):
        self.assertIsNone(pvtest.pvisor_failure(INIT + exit_line(4, vmm='qemu')))

    def test_a_sanitizer_report_is_a_failure_whatever_the_status(self):
        console = INIT + ('==12==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\n'
                          + exit_line(0))
        self.assertEqual(pvtest.pvisor_failure(console), 'sanitizer report: ==12==ERROR: '
                         'AddressSanitizer: heap-buffer-overflow on address 0x1')
        ub = INIT + 'vcpu.cpp:12:3: runtime error: signed integer overflow\n' + exit_line(0)
        self.assertIn('runtime error: signed integer overflow', pvtest.pvisor_failure(ub))

    def test_the_second_of_two_runs_counts_too(self):
        self.assertIn('triple', pvtest.pvisor_failure(INIT + exit_line(0) + INIT +
                                                      exit_line(4)))


class RetryReason(unittest.TestCase):
    def reason(self, console, status=0, platform='nested', runs=1, resets=''):
        return pvtest.retry_reason(platform, status, console, runs, resets)

    def test_a_triple_fault_before_the_first_line_is_never_retried(self):
        # It would look like the early-reset flake, but pvisor said triple fault.
        console = 'PVTEST-L1-READY\n' + exit_line(4)
        self.assertTrue(pvtest.never_started(console))
        self.assertIsNone(self.reason(console))

    def test_a_triple_fault_later_is_never_retried(self):
        self.assertIsNone(self.reason(INIT + exit_line(4)))

    def test_a_crash_is_never_retried_even_if_l1_then_died(self):
        console = INIT + '==7==ERROR: AddressSanitizer: SEGV on unknown address\n'
        self.assertIsNone(self.reason(console, resets='Triple fault'))

    def test_l1_stuck_in_its_boot_is_a_flake(self):
        self.assertIn('did not start', self.reason('', status=pvtest.NOT_READY))

    def test_an_early_reset_with_a_clean_exit_is_a_flake(self):
        self.assertEqual(self.reason('PVTEST-L1-READY\n' + exit_line(0)),
                         'the L2 guest reset before its first line')
        self.assertEqual(self.reason('PVTEST-L1-READY\n' + exit_line(3)),
                         'the L2 guest reset before its first line')

    def test_l1_dying_under_a_running_vmm_is_a_flake(self):
        self.assertEqual(self.reason(INIT, resets='... Triple fault ...'),
                         'the L1 machine stopped before the VMM exited (it triple-faulted)')
        self.assertEqual(self.reason(INIT + exit_line(0), runs=2),
                         'the L1 machine stopped before the VMM exited (no reason logged)')

    def test_a_toolstack_run_that_ended_is_no_flake(self):
        self.assertIsNone(self.reason(INIT + 'PVTEST-TS-HOST-END\n'))

    def test_a_finished_run_is_not_retried(self):
        self.assertIsNone(self.reason(INIT + exit_line(0)))
        self.assertIsNone(self.reason(INIT + exit_line(7)))
        self.assertIsNone(self.reason(INIT + exit_line(0), status=None))  # timed out

    def test_nothing_is_retried_on_the_direct_platform(self):
        self.assertIsNone(self.reason('', status=pvtest.NOT_READY, platform='direct'))
        self.assertIsNone(self.reason(INIT, platform='direct'))


class RecordRetry(unittest.TestCase):
    def test_each_retry_is_a_line_in_retries_log(self):
        with tempfile.TemporaryDirectory() as d:
            ctx = SimpleNamespace(work=Path(d))
            pvtest.record_retry(ctx, 'blk-fs', 1, 'the L2 guest reset before its first line')
            pvtest.record_retry(ctx, 'boot', 1, 'the L1 machine did not start within 60 s')
            self.assertEqual((Path(d) / 'retries.log').read_text(),
                             'blk-fs retry 1: the L2 guest reset before its first line\n'
                             'boot retry 1: the L1 machine did not start within 60 s\n')


if __name__ == '__main__':
    unittest.main()
