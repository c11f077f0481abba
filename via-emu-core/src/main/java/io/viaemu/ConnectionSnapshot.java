package io.viaemu;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.viaemu.protocol.ConnectionState;
import io.viaemu.protocol.ErrorCode;
import io.viaemu.protocol.FlagBlock;
import io.viaemu.protocol.FlagBlock.Word;

/**
 * A connection as its flag block shows it at one moment: what the actuator endpoint reports. Flag names are those
 * of the original design.
 */
public record ConnectionSnapshot(
        String id,
        String endpoint,
        String state,
        long clientPid,
        long parentPid,
        long childPid,
        Map<String, Object> flags,
        String triggerFired,
        long bytesCopied,
        String error,
        Map<String, Instant> timestamps,
        long handoverToGrantMicros,
        long handoverMicros) {

    public static ConnectionSnapshot of(String id, String endpoint, Map<Word, Long> w) {
        Map<String, Object> flags = new LinkedHashMap<>();
        flags.put("P", w.get(Word.P) != 0);
        flags.put("C", w.get(Word.C) != 0);
        flags.put("copyRequest", w.get(Word.COPY_REQUEST) != 0);
        flags.put("dataReceived", w.get(Word.DATA_RECEIVED) != 0);
        flags.put("reconnectionCompletion", w.get(Word.RECONNECTION_COMPLETION) != 0);
        flags.put("transmissionIntermission", FlagBlock.Intermission.name(w.get(Word.TRANSMISSION_INTERMISSION)));
        Trigger fired = Trigger.ofCode(w.get(Word.TRIGGER_FIRED).intValue());
        Map<String, Instant> at = new LinkedHashMap<>();
        put(at, "connected", w.get(Word.AT_CONNECTED));
        put(at, "forked", w.get(Word.AT_FORKED));
        put(at, "triggered", w.get(Word.AT_TRIGGER));
        put(at, "intermitted", w.get(Word.AT_INTERMITTED));
        put(at, "copied", w.get(Word.AT_COPIED));
        put(at, "reconnectionRequested", w.get(Word.AT_RECONNECT_REQUESTED));
        put(at, "granted", w.get(Word.AT_GRANTED));
        put(at, "completed", w.get(Word.AT_COMPLETED));
        put(at, "closed", w.get(Word.AT_CLOSED));
        ErrorCode error = ErrorCode.of(w.get(Word.ERROR_CODE));
        return new ConnectionSnapshot(id, endpoint, ConnectionState.of(w.get(Word.STATE)).name(),
                w.get(Word.CLIENT_PID), w.get(Word.PARENT_PID), w.get(Word.CHILD_PID), flags,
                fired == null ? null : fired.name(), w.get(Word.BYTES_COPIED),
                error == ErrorCode.NONE ? null : error.description(), at,
                micros(w.get(Word.NANOS_TRIGGER), w.get(Word.NANOS_GRANTED)),
                micros(w.get(Word.NANOS_TRIGGER), w.get(Word.NANOS_COMPLETED)));
    }

    /** Microseconds between two System.nanoTime() stamps of (possibly) different processes; -1 if one is missing. */
    private static long micros(long from, long to) {
        return from == 0 || to == 0 ? -1 : (to - from) / 1000;
    }

    private static void put(Map<String, Instant> m, String name, long millis) {
        if (millis != 0) {
            m.put(name, Instant.ofEpochMilli(millis));
        }
    }

    /** Handover duration from trigger to completion in milliseconds, or -1 if not completed. */
    public long handoverMillis() {
        Instant t = timestamps.get("triggered");
        Instant c = timestamps.get("completed");
        return t == null || c == null ? -1 : c.toEpochMilli() - t.toEpochMilli();
    }
}
