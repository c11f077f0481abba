package io.viaemu;

/**
 * The events that may start the lazy reconnection (handover) of a forked connection from the parent to its child.
 * Which ones are active is configuration; whichever active one fires first starts the handover, and it happens at
 * most once per connection.
 */
public enum Trigger {
    /** T1: the parent closes its end of a forked connection. */
    T1_PARENT_CLOSE(1),
    /** T2: the parent aborts, either expectedly (an API call, orderly shutdown) or unexpectedly (killed). */
    T2_PARENT_ABORT(2),
    /** T3: the child receives for the first time. */
    T3_CHILD_RECEIVE(3),
    /** T4: the child sends for the first time. */
    T4_CHILD_SEND(4);

    private final int code;

    Trigger(int code) {
        this.code = code;
    }

    /** The number in the original design (1 to 4), as stored in the flag block. */
    public int code() {
        return code;
    }

    public int bit() {
        return 1 << code;
    }

    public static Trigger ofCode(int code) {
        for (Trigger t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        return null;
    }

    public static int mask(Iterable<Trigger> triggers) {
        int mask = 0;
        for (Trigger t : triggers) {
            mask |= t.bit();
        }
        return mask;
    }
}
