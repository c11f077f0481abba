package io.viaemu.nio;

import java.util.Arrays;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.IllegalSelectorException;
import java.nio.channels.SelectableChannel;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.spi.AbstractSelectableChannel;
import java.nio.channels.spi.AbstractSelector;
import java.util.AbstractSet;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.viaemu.idle.Doorbell;

/**
 * A selector that serves via-emu channels and platform channels (TCP, pipes, UDP) at once.
 *
 * <p>The platform's selectors accept only the platform's channels (anything else is an
 * {@link IllegalSelectorException}), so this selector holds a platform selector of its own: platform channels, and
 * our channels that went to TCP, are registered with it, their keys carrying ours as attachment. via-emu channels
 * have no file descriptor; their readiness is computed here (bytes arrived, end of stream, room in the send window,
 * a connection to accept), and what wakes a waiting select is their doorbells, which the peer's writer rings after
 * each append and the reader after it consumed (see {@code io.viaemu.idle}).
 *
 * <p>How one select waits for both, without polling (after a spin of {@value #SPIN_POLLS} polls of the via-emu
 * channels, as the core's BACKOFF pauser spins before it parks):
 * <ul>
 * <li>Arm the doorbell of every via-emu channel with interest ({@link Doorbell#arm()}: from now on the peers ring
 * with a wake-up), then check their readiness: anything ready returns at once.</li>
 * <li>No platform registrations: the selecting thread sleeps in {@code futex_waitv} on those doorbells and the
 * selector's own wake-up doorbell (one system call, woken directly by the peer's ring).</li>
 * <li>Platform registrations too: the selecting thread blocks in the platform selector's {@code select}, and a
 * doorbell-watching thread of this selector sleeps in {@code futex_waitv} on the armed doorbells; when one rings it
 * calls the platform selector's {@code wakeup()} (a via-emu wake-up then costs one more thread hop).</li>
 * </ul>
 * After the wait the doorbells are disarmed, readiness is computed again, and the platform selector's ready keys
 * are added by a {@code selectNow} (skipped for up to {@value #PLATFORM_CHECK_NANOS} ns by selects that found
 * via-emu channels ready at once: see {@link #platformCheckDue}).
 */
final class ViaSelector extends AbstractSelector {
    /** Channel polls a select spends before it parks (all its via-emu channels together): the BACKOFF budget. */
    static final int SPIN_POLLS = 2_000;
    /** How long a select that found via-emu channels ready may skip asking the platform selector. */
    static final long PLATFORM_CHECK_NANOS = 50_000;

    private final Selector platform;
    private final Set<SelectionKey> keys = ConcurrentHashMap.newKeySet();
    private final Set<SelectionKey> publicKeys = Collections.unmodifiableSet(keys);
    private final SelectedKeys selected = new SelectedKeys(this);
    private final ReentrantLock selectLock = new ReentrantLock();
    private final Doorbell wakeBell = Doorbell.local("selector wake-up");
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final DoorbellWait waiter = new DoorbellWait();
    private Watcher watcher;

    // scratch of the selecting thread
    private Doorbell[] bells = new Doorbell[16];
    private int[] sequences = new int[16];
    private final List<ViaSelectionKey> viaKeys = new ArrayList<>();
    /** Every key of a via-emu channel, rebuilt from {@link #keys} when {@link #keysVersion} moved. */
    private final List<ViaSelectionKey> allViaKeys = new ArrayList<>();
    /** Counts registrations (any thread); a select rebuilds {@link #allViaKeys} when it differs from its own. */
    private final AtomicInteger keysVersion = new AtomicInteger();
    private int allViaKeysVersion;
    /** A key was cancelled (or none was collected yet): {@link #allViaKeys} is rebuilt at the next select. */
    private boolean allViaKeysStale = true;
    private final Map<Doorbell, Boolean> seen = new IdentityHashMap<>();
    /** When a select last asked the platform selector ({@link System#nanoTime()}). */
    private long lastPlatformCheck;
    /** This select waited in the platform selector. */
    private boolean platformWaited;
    /** A platform key was cancelled and the platform selector has not dropped it yet. */
    private boolean platformCancelPending;

    ViaSelector(ViaSelectorProvider provider, Selector platform) {
        super(provider);
        this.platform = platform;
    }

    // ------------------------------------------------------------------------------------------------ registration

    @Override
    protected SelectionKey register(AbstractSelectableChannel ch, int ops, Object att) {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
        ViaSelectable via = ch instanceof ViaSelectable ? (ViaSelectable) ch : null;
        ViaSelectionKey k = new ViaSelectionKey(ch, this, via);
        k.attach(att);
        k.interestOps(ops);
        try {
            if (via == null) {
                k.attachPlatform(ch); // a platform channel (a pipe, UDP, an accepted TCP one): the platform selects it
            } else {
                via.keyAdded(k); // attaches its platform channel now if it is TCP already, else when it turns TCP
            }
        } catch (ClosedChannelException e) {
            throw new IllegalStateException(ch + " closed while registering", e);
        }
        keys.add(k);
        keysVersion.incrementAndGet(); // after the add: a select that sees the new version finds the key
        return k;
    }

    /** Registers a platform channel with the platform selector, attached to our key. */
    SelectionKey registerPlatform(SelectableChannel ch, int ops, ViaSelectionKey key) throws ClosedChannelException {
        if (ch.provider() != platform.provider()) {
            throw new IllegalSelectorException(); // neither ours nor the platform's: nobody here can select it
        }
        return ch.register(platform, ops, key);
    }

    @Override
    public Set<SelectionKey> keys() {
        ensureOpen();
        return publicKeys;
    }

    @Override
    public Set<SelectionKey> selectedKeys() {
        ensureOpen();
        return selected;
    }

    // ------------------------------------------------------------------------------------------------ selecting

    @Override
    public int selectNow() throws IOException {
        return doSelect(0);
    }

    @Override
    public int select(long timeout) throws IOException {
        if (timeout < 0) {
            throw new IllegalArgumentException("Negative timeout");
        }
        return doSelect(timeout == 0 ? -1 : timeout);
    }

    @Override
    public int select() throws IOException {
        return doSelect(-1);
    }

    /** @param timeoutMillis -1: no limit; 0: do not wait */
    private int doSelect(long timeoutMillis) throws IOException {
        ensureOpen();
        selectLock.lock();
        try {
            ensureOpen();
            processCancelled();
            collectViaKeys();
            platformWaited = false;
            // a select that may wait starts with the hints alone (its spin and the re-check after arming make the
            // full checks); one that may not (selectNow) checks everything now
            int updated = pollVia(timeoutMillis == 0);
            if (updated == 0 && timeoutMillis != 0 && !wakeupPending.get()) {
                updated = await(timeoutMillis);
            }
            processCancelled();
            if (!platform.keys().isEmpty() && platformCheckDue(updated)) { // (its cancelled keys count until dropped)
                platform.selectNow(); // the platform's ready keys (and it forgets a pending wakeup)
                lastPlatformCheck = System.nanoTime();
                platformCancelPending = false;
                updated += collectPlatform();
            }
            if (wakeupPending.get()) {
                wakeupPending.set(false); // (no store, no fence, on the usual select that had no wakeup)
            }
            return updated;
        } finally {
            viaKeys.clear();
            selectLock.unlock();
        }
    }

    /**
     * Whether this select asks the platform selector too. Always when no via-emu channel is ready, after a wait in
     * the platform selector, after a {@link #wakeup()} (the platform selector must forget it) and after a platform
     * key was cancelled (its channel may register again or finish closing only once the platform selector dropped
     * it). But a select that found via-emu channels ready without waiting asks it at most every
     * {@value #PLATFORM_CHECK_NANOS} ns: that {@code selectNow} is a system call ({@code epoll_wait}), which on the
     * round trip of a busy via-emu connection was half of the time (64 B round trip p50 3.2 µs against 1.4 µs with
     * no platform channel registered). Platform readiness then waits at most that long while via-emu channels keep
     * the selector busy, as it waits for the spin when they are idle.
     */
    private boolean platformCheckDue(int viaUpdated) {
        return viaUpdated == 0 || platformWaited || wakeupPending.get() || platformCancelPending
                || System.nanoTime() - lastPlatformCheck >= PLATFORM_CHECK_NANOS;
    }

    private int await(long timeoutMillis) throws IOException {
        long deadline = timeoutMillis < 0 ? Long.MAX_VALUE : System.nanoTime() + timeoutMillis * 1_000_000L;
        if (!viaKeys.isEmpty()) {
            // Like the core's BACKOFF pauser: a short spin on the via-emu channels first, since a peer that answers
            // within microseconds is caught without a park and a futex wake (tens of microseconds on a loaded
            // machine). Platform readiness waits at most this long (a few hundred microseconds). The budget counts
            // channel polls, not rounds: a selector with many idle channels spins no longer than one with a few.
            int rounds = Math.max(1, SPIN_POLLS / viaKeys.size());
            for (int i = 0; i < rounds; i++) {
                Thread.onSpinWait();
                // the hints (flag block counts, no lock, the queue untouched) on most rounds; every 64th round and
                // the last one also what only the queue shows (a control document: the peer's close, a failure)
                int updated = pollVia((i & 63) == 63 || i == rounds - 1);
                if (updated > 0 || wakeupPending.get()) {
                    return updated;
                }
                if ((i & 63) == 63 && deadline != Long.MAX_VALUE && System.nanoTime() - deadline > 0) {
                    return 0;
                }
            }
        }
        while (true) {
            int n = armBells();
            int wakeSeq = wakeBell.arm();
            try {
                int updated = pollVia(true); // the re-check after arming: a ring from now on wakes the wait below
                if (updated > 0 || wakeupPending.get()) {
                    return updated;
                }
                boolean platformKeys = !platform.keys().isEmpty();
                begin(); // an interrupt wakes the selector up
                try {
                    if (!platformKeys) {
                        bells[n] = wakeBell;
                        sequences[n] = wakeSeq;
                        waiter.await(bells, sequences, n + 1, deadline);
                    } else {
                        Watcher w = n == 0 ? null : watcher();
                        Round round = w == null ? null : w.start(bells, sequences, n);
                        platformWaited = true;
                        try {
                            if (timeoutMillis < 0) {
                                platform.select();
                            } else {
                                platform.select(timeoutMillis);
                            }
                        } finally {
                            if (round != null) {
                                w.stop(round);
                            }
                        }
                    }
                } finally {
                    end();
                }
                updated = pollVia(true);
                // A doorbell rings for more than readiness (a consumed byte rings a writer below its low-water mark):
                // with nothing ready the wait goes on, as the platform's does, since a select returning 0 early again
                // and again is what Netty takes for the epoll bug (it rebuilds the selector after 512 such returns).
                if (updated > 0 || wakeupPending.get() || platformKeys || !isOpen()
                        || System.nanoTime() - deadline >= 0) {
                    return updated;
                }
            } finally {
                wakeBell.disarm();
                for (int i = 0; i < n; i++) {
                    bells[i].disarm();
                }
            }
        }
    }

    /** The via-emu keys with interest, and their distinct doorbells into {@link #bells}. */
    private void collectViaKeys() {
        viaKeys.clear();
        int version = keysVersion.get();
        if (allViaKeysStale || version != allViaKeysVersion) {
            // a registration since the last select (cancelled keys are dropped by processCancelled): iterating the
            // concurrent key set on every select was an iterator made and walked per select
            allViaKeys.clear();
            for (SelectionKey k : keys) {
                ViaSelectionKey vk = (ViaSelectionKey) k;
                if (vk.via != null) {
                    allViaKeys.add(vk);
                }
            }
            allViaKeysVersion = version;
            allViaKeysStale = false;
        }
        for (int i = 0, n = allViaKeys.size(); i < n; i++) {
            ViaSelectionKey vk = allViaKeys.get(i);
            if (vk.platformKey() == null && vk.isValid() && vk.interestOpsUnchecked() != 0) {
                viaKeys.add(vk);
            }
        }
    }

    private int armBells() {
        seen.clear();
        int n = 0;
        for (ViaSelectionKey k : viaKeys) {
            Doorbell b = k.via.doorbell();
            if (b == null || seen.put(b, Boolean.TRUE) != null) {
                continue;
            }
            if (n + 1 >= bells.length) {
                bells = Arrays.copyOf(bells, bells.length * 2);
                sequences = Arrays.copyOf(sequences, sequences.length * 2);
            }
            sequences[n] = b.arm();
            bells[n++] = b;
        }
        return n;
    }

    /**
     * Readiness of the via-emu keys into the selected set; the number of keys whose ready set grew.
     *
     * @param full see {@link ViaSelectable#viaReadyOps}: false lets channels answer from their lock-free hints
     */
    private int pollVia(boolean full) {
        int updated = 0;
        for (int i = 0, n = viaKeys.size(); i < n; i++) {
            ViaSelectionKey k = viaKeys.get(i);
            if (!k.isValid() || k.platformKey() != null) {
                continue;
            }
            int ready = k.via.viaReadyOps(k.interestOpsUnchecked(), full);
            if (ready != 0 && offer(k, ready)) {
                updated++;
            }
        }
        return updated;
    }

    private int collectPlatform() {
        int updated = 0;
        Set<SelectionKey> ready = platform.selectedKeys();
        for (Iterator<SelectionKey> it = ready.iterator(); it.hasNext(); ) {
            SelectionKey pk = it.next();
            it.remove();
            ViaSelectionKey k = (ViaSelectionKey) pk.attachment();
            if (k == null || !k.isValid() || !pk.isValid()) {
                continue;
            }
            int ops = pk.readyOps() & k.interestOpsUnchecked();
            if (ops != 0 && offer(k, ops)) {
                updated++;
            }
        }
        return updated;
    }

    /** The selection rule: a key not yet selected gets exactly {@code ops}; a selected one adds to its ready set. */
    private boolean offer(ViaSelectionKey k, int ops) {
        if (selected.addKey(k)) {
            k.setReadyOps(ops);
            return true;
        }
        int old = k.readyOpsUnchecked();
        if ((old | ops) != old) {
            k.setReadyOps(old | ops);
            return true;
        }
        return false;
    }

    private void processCancelled() {
        Set<SelectionKey> cancelled = cancelledKeys();
        if (cancelled.isEmpty()) {
            // a read without the set's lock, twice per select (the lock is two atomic operations each time): a key
            // cancelled by another thread just now may be missed by this select and is then dropped by the next
            // one, as it would be had the cancel come a moment later
            return;
        }
        synchronized (cancelled) {
            if (cancelled.isEmpty()) {
                return;
            }
            for (SelectionKey k : cancelled) {
                ViaSelectionKey vk = (ViaSelectionKey) k;
                keys.remove(vk);
                allViaKeysStale = true; // rebuilt at the next select (once, however many keys were cancelled)
                selected.remove(vk);
                if (vk.platformKey() != null) {
                    platformCancelPending = true;
                }
                vk.detachPlatform();
                if (vk.via != null) {
                    vk.via.keyRemoved(vk);
                }
                deregister(vk); // the channel forgets the key: it may register again, or close for good
            }
            cancelled.clear();
        }
    }

    @Override
    public Selector wakeup() {
        if (wakeupPending.compareAndSet(false, true)) {
            wakeBell.ringAlways();
            platform.wakeup();
        }
        return this;
    }

    // ------------------------------------------------------------------------------------------------ close

    @Override
    protected void implCloseSelector() throws IOException {
        wakeup();
        selectLock.lock();
        try {
            for (SelectionKey k : keys) {
                k.cancel();
            }
            processCancelled();
            Watcher w = watcher;
            if (w != null) {
                w.shutdown();
            }
            platform.close();
        } finally {
            selectLock.unlock();
        }
    }

    private void ensureOpen() {
        if (!isOpen()) {
            throw new ClosedSelectorException();
        }
    }

    private Watcher watcher() {
        if (watcher == null) {
            watcher = new Watcher();
        }
        return watcher;
    }

    @Override
    public String toString() {
        return "ViaSelector{" + keys.size() + " keys, platform " + platform + "}";
    }

    // ------------------------------------------------------------------------------------------------ the watcher

    /** One select's watch: the armed doorbells, and whether the select still waits. */
    private static final class Round {
        final Doorbell[] bells;
        final int[] sequences;
        final int count;
        final int stopSequence;
        volatile boolean active = true;

        Round(Doorbell[] bells, int[] sequences, int count, int stopSequence) {
            this.bells = bells;
            this.sequences = sequences;
            this.count = count;
            this.stopSequence = stopSequence;
        }
    }

    /**
     * The doorbell-watching thread of a selector that also has platform channels: sleeps in futex_waitv on the
     * doorbells the selecting thread armed plus its own stop doorbell, and wakes the platform selector when one of
     * the via-emu doorbells rang. Parked (no CPU) between selects.
     */
    private final class Watcher implements Runnable {
        private final Doorbell stopBell = Doorbell.local("selector watcher stop");
        private final DoorbellWait wait = new DoorbellWait();
        private final Thread thread;
        private volatile Round round;
        private volatile boolean shutdown;

        Watcher() {
            thread = new Thread(this, "via-selector-watcher");
            thread.setDaemon(true);
            thread.start();
        }

        Round start(Doorbell[] bells, int[] sequences, int count) {
            int stopSeq = stopBell.sequence();
            // copies: the selecting thread's arrays are reused by its next select while this round may still run
            Round r = new Round(Arrays.copyOf(bells, count + 1), Arrays.copyOf(sequences, count + 1),
                    count, stopSeq);
            round = r;
            LockSupport.unpark(thread);
            return r;
        }

        void stop(Round r) {
            r.active = false;
            if (round == r) {
                round = null;
            }
            stopBell.ringAlways(); // ends the futex_waitv of this round, if it still sleeps
        }

        void shutdown() {
            shutdown = true;
            stopBell.ringAlways();
            LockSupport.unpark(thread);
        }

        @Override
        public void run() {
            while (!shutdown) {
                Round r = round;
                if (r == null || !r.active) {
                    LockSupport.park(this);
                    continue;
                }
                r.bells[r.count] = stopBell;
                r.sequences[r.count] = r.stopSequence;
                stopBell.arm();
                try {
                    wait.await(r.bells, r.sequences, r.count + 1, Long.MAX_VALUE);
                } finally {
                    stopBell.disarm();
                }
                if (r.active) {
                    // a via-emu doorbell rang (or a spurious return): the select re-checks, so wake it either way
                    platform.wakeup();
                    r.active = false;
                }
                if (round == r) {
                    round = null;
                }
            }
        }
    }

    /**
     * The selected-key set as the spec wants it: removal allowed, addition not. An array of keys with a mark in each
     * key, so that a select adds a key without allocating (a {@code HashSet} made a node per key and select) and
     * {@code contains} needs no lookup; the iterator removes by moving the last key into the removed one's place.
     * Like the platform's, not safe for use by several threads at once.
     */
    static final class SelectedKeys extends AbstractSet<SelectionKey> {
        private final ViaSelector owner;
        private ViaSelectionKey[] keys = new ViaSelectionKey[16];
        private int size;

        SelectedKeys(ViaSelector owner) {
            this.owner = owner;
        }

        /** For the selector: adds {@code k} unless it is in the set; true if it was added. */
        boolean addKey(ViaSelectionKey k) {
            if (k.inSelectedSet) {
                return false;
            }
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
            }
            keys[size++] = k;
            k.inSelectedSet = true;
            return true;
        }

        @Override
        public Iterator<SelectionKey> iterator() {
            return new Iterator<>() {
                private int next;
                private boolean removable;

                @Override
                public boolean hasNext() {
                    return next < size;
                }

                @Override
                public SelectionKey next() {
                    if (next >= size) {
                        throw new NoSuchElementException();
                    }
                    removable = true;
                    return keys[next++];
                }

                @Override
                public void remove() {
                    if (!removable) {
                        throw new IllegalStateException();
                    }
                    removable = false;
                    removeAt(--next); // the last key moves here: the next call to next() returns it
                }
            };
        }

        private void removeAt(int i) {
            keys[i].inSelectedSet = false;
            keys[i] = keys[--size];
            keys[size] = null;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public boolean isEmpty() {
            return size == 0;
        }

        @Override
        public boolean contains(Object o) {
            return o instanceof ViaSelectionKey && ((ViaSelectionKey) o).selector() == owner
                    && ((ViaSelectionKey) o).inSelectedSet;
        }

        @Override
        public boolean remove(Object o) {
            if (!contains(o)) {
                return false;
            }
            for (int i = 0; i < size; i++) {
                if (keys[i] == o) {
                    removeAt(i);
                    return true;
                }
            }
            return false;
        }

        @Override
        public void clear() {
            for (int i = 0; i < size; i++) {
                keys[i].inSelectedSet = false;
                keys[i] = null;
            }
            size = 0;
        }

        @Override
        public boolean add(SelectionKey k) {
            throw new UnsupportedOperationException();
        }
    }
}
