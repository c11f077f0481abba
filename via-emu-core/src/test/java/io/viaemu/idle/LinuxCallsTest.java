package io.viaemu.idle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import io.viaemu.testing.JvmProcess;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The native calls answer the same through JNA's indirect calls (the first ones of a JVM, looked up by
 * {@code dlsym} without JNA's NativeLibrary) and through the direct mapping registered in the background once a
 * process made {@link LinuxCalls#DIRECT_AFTER_CALLS} calls (every later one). A fresh JVM's first calls load no
 * NativeLibrary (whose initialisation runs {@code ldconfig -p}) and start no registration.
 */
class LinuxCallsTest {
    private static final long SYS_GETPID = System.getProperty("os.arch", "").equals("aarch64") ? 172 : 39;

    @Test
    void callsWorkBeforeAndAfterTheDirectMappingIsRegistered() throws InterruptedException {
        assumeTrue(LinuxCalls.BOUND, "no libc through JNA here");
        assertThat(LinuxCalls.lookedUpBySymbols()).as("bound by dlsym, not through NativeLibrary").isTrue();
        long pid = ProcessHandle.current().pid();
        assertThat(LinuxCalls.syscall(SYS_GETPID, 0, 0, 0, 0, 0, 0)).isEqualTo(pid);
        checkPollAndFutex();
        for (int i = 0; i < LinuxCalls.DIRECT_AFTER_CALLS; i++) {
            assertThat(LinuxCalls.syscall(SYS_GETPID, 0, 0, 0, 0, 0, 0)).isEqualTo(pid);
        }
        assertThat(LinuxCalls.registrationStarted()).as("registration started after the calls").isTrue();
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!LinuxCalls.direct() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(LinuxCalls.direct()).as("the direct mapping was registered in the background").isTrue();
        assertThat(LinuxCalls.syscall(SYS_GETPID, 0, 0, 0, 0, 0, 0)).isEqualTo(pid);
        checkPollAndFutex();
    }

    /** In a JVM of its own (this one's other tests may have made many calls): a few calls, then what it loaded. */
    @Test
    void aFreshJvmsFirstCallsLoadNoNativeLibrary(@TempDir Path dir) {
        assumeTrue(LinuxCalls.BOUND, "no libc through JNA here");
        try (JvmProcess jvm = JvmProcess.start(dir, "first-calls", List.of("-Xlog:class+init=info,class+load=info:stdout"),
                FirstCalls.class)) {
            assertThat(jvm.awaitExit(Duration.ofSeconds(60))).as(jvm.output()).isZero();
            String out = jvm.output();
            assertThat(out).contains("first calls done, registration started: false");
            String beforeDone = out.substring(0, out.indexOf("first calls done"));
            // loaded it may be (reflection on Native resolves its methods' types), initialised it must not be
            assertThat(beforeDone).contains("Initializing 'com/sun/jna/Native'")
                    .doesNotContain("Initializing 'com/sun/jna/NativeLibrary'")
                    .doesNotContain("java.lang.ProcessImpl "); // ldconfig -p
        }
    }

    /** Main of {@link #aFreshJvmsFirstCallsLoadNoNativeLibrary}: a futex wake and wait, a pidfd, an epoll set. */
    public static final class FirstCalls {
        public static void main(String[] args) {
            checkPollAndFutex();
            System.out.println("first calls done, registration started: " + LinuxCalls.registrationStarted());
        }
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
