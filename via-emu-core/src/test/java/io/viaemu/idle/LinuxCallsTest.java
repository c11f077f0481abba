package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import org.junit.jupiter.api.Test;

/**
 * The native calls answer the same through JNA's indirect calls (the first ones of a JVM) and through the direct
 * mapping registered in the background (every later one).
 */
class LinuxCallsTest {
    private static final long SYS_GETPID = System.getProperty("os.arch", "").equals("aarch64") ? 172 : 39;

    @Test
    void callsWorkBeforeAndAfterTheDirectMappingIsRegistered() throws InterruptedException {
        assumeTrue(LinuxCalls.BOUND, "no libc through JNA here");
        long pid = ProcessHandle.current().pid();
        assertThat(LinuxCalls.syscall(SYS_GETPID, 0, 0, 0, 0, 0, 0)).isEqualTo(pid);
        checkPollAndFutex();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!LinuxCalls.direct() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(LinuxCalls.direct()).as("the direct mapping was registered in the background").isTrue();
        assertThat(LinuxCalls.syscall(SYS_GETPID, 0, 0, 0, 0, 0, 0)).isEqualTo(pid);
        checkPollAndFutex();
    }

    private static void checkPollAndFutex() {
        // a pidfd of this process is not readable (it runs): poll answers 0 at once
        int fd = LinuxCalls.pidfdOpen(ProcessHandle.current().pid());
        assertThat(fd).isGreaterThanOrEqualTo(0);
        ByteBuffer pollfd = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
        pollfd.putInt(0, fd).putShort(4, (short) 1); // POLLIN
        assertThat(LinuxCalls.poll(LinuxCalls.address(pollfd), 1, 0)).isZero();
        assertThat(LinuxCalls.close(fd)).isZero();
        int ep = LinuxCalls.epoll_create1(0x80000);
        assertThat(ep).isGreaterThanOrEqualTo(0);
        ByteBuffer events = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
        assertThat(LinuxCalls.epoll_wait(ep, LinuxCalls.address(events), 1, 0)).isZero();
        assertThat(LinuxCalls.close(ep)).isZero();
        // FUTEX_WAIT on a word that does not hold the expected value returns -1 (EAGAIN) at once
        ByteBuffer word = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
        assertThat(LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, LinuxCalls.address(word), 0, 1, 0, 0, 0)).isEqualTo(-1);
        assertThat(LinuxCalls.syscall(LinuxCalls.SYS_FUTEX, LinuxCalls.address(word), 1, 1, 0, 0, 0)).isZero();
    }
}
