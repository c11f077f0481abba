package io.viaemu.inspect;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.viaemu.ConnectionSnapshot;
import io.viaemu.Trigger;
import io.viaemu.internal.EndpointLock;
import io.viaemu.internal.Layout;
import io.viaemu.internal.Processes;
import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;

/**
 * Reads a via-emu base directory from outside, as {@code ss} reads the kernel's sockets: every endpoint, its server,
 * its connections (flag blocks mapped read-only) and its workers. It never writes: flag blocks and queues are mapped
 * read-only, nothing is created, so it can look at a directory whose processes run, and at one they left behind
 * when they died. What it reads is a moment's view; a connection closed meanwhile is simply not listed.
 */
public final class ViaInspector {

    /** At most this many up-queue documents are read to count a connection's unconsumed bytes. */
    static final int MAX_SCANNED_DOCUMENTS = 200_000;

    private final Path base;

    /** @throws NoSuchFileException / NotDirectoryException if {@code base} is not a directory */
    public ViaInspector(Path base) throws IOException {
        if (!Files.exists(base)) {
            throw new NoSuchFileException(base.toString(), null, "no such via-emu base directory");
        }
        if (!Files.isDirectory(base)) {
            throw new NotDirectoryException(base + ": not a directory");
        }
        this.base = base;
    }

    public Path base() {
        return base;
    }

    /** Every endpoint (a directory with a {@code conn}, {@code listen} or {@code workers} directory), by name. */
    public List<EndpointView> endpoints() throws IOException {
        Map<Path, Long> disk = DiskUsage.of(base);
        List<EndpointView> list = new ArrayList<>();
        for (Path dir : list(base)) {
            String name = dir.getFileName().toString();
            if (!isEndpoint(dir, name)) {
                continue;
            }
            List<ConnectionView> connections = new ArrayList<>();
            Map<Long, String> connectionByWorker = new HashMap<>();
            for (Path c : list(dir.resolve("conn"))) {
                connection(name, c, disk).ifPresent(v -> {
                    connections.add(v);
                    if (v.workerId() != null) {
                        connectionByWorker.put(Layout.parseId(v.workerId()), v.id());
                    }
                });
            }
            connections.sort(Comparator.comparing((ConnectionView v) -> v.timestamps().get("connected"),
                    Comparator.nullsLast(Comparator.naturalOrder())).thenComparing(ConnectionView::id));
            List<WorkerView> workers = new ArrayList<>();
            for (Path wdir : list(dir.resolve("workers"))) {
                workers.add(worker(name, wdir, connectionByWorker, disk));
            }
            long[] owner = EndpointLock.recordedOwner(dir);
            ProcessView server = owner == null ? ProcessView.NONE
                    : new ProcessView(owner[0], Processes.isAlive(owner[0], owner[1]));
            list.add(new EndpointView(name, server, connections, workers, disk.getOrDefault(dir, -1L)));
        }
        return list;
    }

    /** Every worker of every endpoint. */
    public List<WorkerView> workers() throws IOException {
        List<WorkerView> all = new ArrayList<>();
        for (EndpointView e : endpoints()) {
            all.addAll(e.workers());
        }
        return all;
    }

    /**
     * The connection with this id (16 hex digits, or a prefix of them naming only one connection) in any endpoint.
     *
     * @throws IllegalArgumentException if a prefix names several connections
     */
    public Optional<ConnectionView> connection(String id) throws IOException {
        List<ConnectionView> found = new ArrayList<>();
        for (EndpointView e : endpoints()) {
            for (ConnectionView c : e.connections()) {
                if (c.id().equals(id)) {
                    return Optional.of(c);
                }
                if (!id.isEmpty() && c.id().startsWith(id)) {
                    found.add(c);
                }
            }
        }
        if (found.size() > 1) {
            throw new IllegalArgumentException("connection id '" + id + "' is ambiguous: " + found.size()
                    + " connections start with it (" + String.join(", ", found.stream().map(ConnectionView::id)
                            .limit(5).toList()) + (found.size() > 5 ? ", ..." : "") + ")");
        }
        return found.stream().findFirst();
    }

    /** The flag block's words of a connection (the timeline's input), if it is still on disk. */
    public Optional<Map<Word, Long>> words(ConnectionView c) {
        try {
            return Optional.of(FlagBlock.openReadOnly(connectionDir(c)).snapshot());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The timeline of a connection's handover, if its flag block is still on disk. */
    public Optional<HandoverTimeline> timeline(ConnectionView c) {
        return words(c).map(HandoverTimeline::of);
    }

    /**
     * The timeline of connection {@code id} of {@code endpoint} under {@code base}, read from its flag block if it is
     * still on disk (what a server's own process uses, without listing the whole directory).
     */
    public static Optional<HandoverTimeline> timeline(Path base, String endpoint, String id) {
        try {
            Layout.parseId(id);
            return Optional.of(HandoverTimeline.of(
                    FlagBlock.openReadOnly(Layout.connectionsDir(base, endpoint).resolve(id)).snapshot()));
        } catch (IOException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private Path connectionDir(ConnectionView c) {
        return Layout.connectionsDir(base, c.endpoint()).resolve(c.id());
    }

    private static boolean isEndpoint(Path dir, String name) {
        try {
            Layout.checkEndpoint(name);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return Files.isDirectory(dir.resolve("conn")) || Files.isDirectory(dir.resolve("listen"))
                || Files.isDirectory(dir.resolve("workers"));
    }

    private static Optional<ConnectionView> connection(String endpoint, Path dir, Map<Path, Long> disk) {
        String id = dir.getFileName().toString();
        try {
            Layout.parseId(id);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        Map<Word, Long> w;
        try {
            w = FlagBlock.openReadOnly(dir).snapshot();
        } catch (IOException e) {
            return Optional.empty(); // closed and deleted meanwhile, or still being created
        }
        return Optional.of(view(endpoint, dir, w, disk.getOrDefault(dir, -1L)));
    }

    /** The view of one connection's flag block words. */
    static ConnectionView view(String endpoint, Path dir, Map<Word, Long> w, long diskBytes) {
        ConnectionSnapshot s = ConnectionSnapshot.of(dir.getFileName().toString(), endpoint, w);
        ProcessView client = process(w.get(Word.CLIENT_PID), w.get(Word.CLIENT_START));
        ProcessView parent = process(w.get(Word.PARENT_PID), w.get(Word.PARENT_START));
        ProcessView child = process(w.get(Word.CHILD_PID), w.get(Word.CHILD_START));
        long worker = w.get(Word.WORKER_ID);
        HandoverTimeline t = HandoverTimeline.of(w);
        List<ConnectionView.StepView> steps = new ArrayList<>();
        for (HandoverTimeline.Step st : t.steps()) {
            steps.add(new ConnectionView.StepView(st.code(), st.label(), st.from().label(), st.to().label(),
                    ms(st.sentNanos() - t.originNanos()),
                    st.receivedNanos() == 0 ? null : ms(st.receivedNanos() - t.originNanos()),
                    st.transitNanos() < 0 ? null : ms(st.transitNanos())));
        }
        for (HandoverTimeline.Mark m : t.marks()) {
            steps.add(new ConnectionView.StepView(m.code(), m.label(), m.lane().label(), null,
                    ms(m.nanos() - t.originNanos()), null, null));
        }
        steps.sort(Comparator.comparingDouble(ConnectionView.StepView::sentMs));
        List<ConnectionView.SegmentView> segments = t.segments().stream()
                .map(g -> new ConnectionView.SegmentView(g.step(), g.label(), ms(g.nanos()))).toList();
        StringBuilder enabled = new StringBuilder();
        for (Trigger tr : Trigger.values()) {
            if ((w.get(Word.TRIGGERS_ENABLED) & tr.bit()) != 0) {
                enabled.append(enabled.length() == 0 ? "" : ",").append(tr.name(), 0, 2);
            }
        }
        return new ConnectionView(s.id(), endpoint, s.state(), client, parent, child,
                worker == 0 ? null : Layout.idString(worker), s.flags(), enabled.toString(), s.triggerFired(),
                inFlight(dir, w), diskBytes, s.error(), s.timestamps(), steps, segments,
                t.pauseNanos() < 0 ? -1 : t.pauseNanos() / 1000);
    }

    private static double ms(long nanos) {
        return Math.round(nanos / 1000.0) / 1000.0; // microsecond precision, in milliseconds
    }

    private static ProcessView process(long pid, long start) {
        return pid == 0 ? ProcessView.NONE : new ProcessView(pid, Processes.isAlive(pid, start));
    }

    /**
     * The up queue's unconsumed bytes can be counted only while the parent records its consumed position: from
     * EMU_FORK until it starts handing the connection over.
     */
    private static BytesInFlight inFlight(Path dir, Map<Word, Long> w) {
        ConnectionState state = ConnectionState.of(w.get(Word.STATE));
        Long up = null;
        boolean exact = true;
        if (state == ConnectionState.FORKED && w.get(Word.TRIGGER_FIRED) == 0) {
            // the position is read from the flag block again when the queue is open (the snapshot may be stale)
            FlagBlock flags;
            try {
                flags = FlagBlock.openReadOnly(dir);
            } catch (IOException e) {
                flags = null; // deleted meanwhile
            }
            QueueScan.Count count = flags == null ? null
                    : QueueScan.dataBytesFrom(Layout.upDir(dir), flags::consumed, MAX_SCANNED_DOCUMENTS);
            if (count != null) {
                up = count.bytes();
                exact = count.complete();
            }
        }
        return new BytesInFlight(up, exact, w.get(Word.BYTES_COPIED), w.get(Word.BYTES_APPENDED));
    }

    private static WorkerView worker(String endpoint, Path dir, Map<Long, String> connectionByWorker,
            Map<Path, Long> disk) {
        String id = dir.getFileName().toString();
        Path ready = dir.resolve("ready");
        ProcessView p = ProcessView.NONE;
        boolean isReady = false;
        try {
            long pid = Long.parseLong(Files.readString(ready, StandardCharsets.US_ASCII).trim());
            p = new ProcessView(pid, Processes.isAlive(pid, 0));
            isReady = true;
        } catch (IOException | NumberFormatException e) {
            // not ready yet (or gone meanwhile): the pid is known only to the parent that started it
        }
        String connection = null;
        try {
            connection = connectionByWorker.get(Layout.parseId(id));
        } catch (IllegalArgumentException notAWorker) {
            // listed as it is
        }
        return new WorkerView(id, endpoint, p, isReady, connection, disk.getOrDefault(dir, -1L));
    }

    private static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory).sorted().toList();
        } catch (NoSuchFileException gone) {
            return List.of();
        }
    }

    /** Disk use of every directory under the base, as {@code du} counts it (blocks allocated, not apparent size). */
    static final class DiskUsage {
        private DiskUsage() {
        }

        /**
         * Chronicle's queue files are sparse (16 MiB blocks of which only the written pages take disk), so their
         * apparent size says little; du counts allocated blocks. One du for the whole tree; if du is not there or
         * fails, directories get -1 (unknown).
         */
        static Map<Path, Long> of(Path base) {
            Map<Path, Long> m = new HashMap<>();
            try {
                Process p = new ProcessBuilder("du", "-k", base.toString()).redirectErrorStream(false)
                        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out;
                try (InputStream in = p.getInputStream()) {
                    out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
                if (!p.waitFor(30, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    return m;
                }
                // exit code 1 is normal here: files deleted while du walked the tree
                for (String line : out.split("\n")) {
                    int tab = line.indexOf('\t');
                    if (tab > 0) {
                        try {
                            m.put(Path.of(line.substring(tab + 1)), Long.parseLong(line.substring(0, tab)) * 1024);
                        } catch (NumberFormatException ignored) {
                            // not a du line
                        }
                    }
                }
            } catch (IOException e) {
                return m;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return m;
        }
    }
}
