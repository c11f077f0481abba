package io.viaemu.protocol;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

import io.viaemu.internal.Logs;

/**
 * A role's state and the one way it changes (after Aeron's {@code Election}: one state enum per role, one method
 * that moves it): each move is checked against an explicit table of the moves allowed, logged with the step of
 * the original design it is (S7, S47, ...), and rejected with an {@link IllegalTransitionException} if the table
 * does not allow it. Thread-safe: moves from several threads (the application's, the housekeeper's, a handover
 * task) are serialised, and every read sees the last move.
 */
final class StateMachine<S extends Enum<S> & StateMachine.Step> {

    /**
     * A state's name in the design's flowcharts (Figs. 4-6).
     *
     * @param step        the step, for example "S7", or "-" for states the flowcharts do not draw (failure)
     * @param description what happens at the step, for example "intermission request"
     * @param handover    part of the handover: its moves are logged at INFO, others at DEBUG
     */
    record Label(String step, String description, boolean handover) {
    }

    /** A role's state: its {@link Label} and whether it is final. */
    interface Step {
        Label label();

        default String step() {
            return label().step();
        }

        default String description() {
            return label().description();
        }

        default boolean handover() {
            return label().handover();
        }

        /** No move leaves it. */
        boolean terminal();
    }

    /** The moves allowed, from each state. */
    static final class Table<S extends Enum<S>> {
        private final Map<S, Set<S>> allowed;
        private final Class<S> type;

        Table(Class<S> type) {
            this.type = type;
            this.allowed = new EnumMap<>(type);
            for (S s : type.getEnumConstants()) {
                allowed.put(s, EnumSet.noneOf(type));
            }
        }

        /** Allows the moves from {@code from} to each of {@code to}. */
        @SafeVarargs
        final Table<S> allow(S from, S... to) {
            for (S t : to) {
                allowed.get(from).add(t);
            }
            return this;
        }

        /** Allows the moves from each of {@code from} to {@code to}. */
        Table<S> allowFromEach(Set<S> from, S to) {
            for (S f : from) {
                allowed.get(f).add(to);
            }
            return this;
        }

        boolean allows(S from, S to) {
            return allowed.get(from).contains(to);
        }

        /** The states {@code from} may move to. */
        Set<S> next(S from) {
            Set<S> next = EnumSet.noneOf(type);
            next.addAll(allowed.get(from));
            return next;
        }
    }

    private final Table<S> table;
    /** The SLF4J logger's name, resolved per line: see {@link Logs} for why not a Logger. */
    private final String logName;
    private final String owner;
    private volatile S state;
    /** Bit per ordinal of every state this machine has been in. */
    private volatile long visited;

    /**
     * @param owner names the connection and role in log lines and messages, for example "connection 1a2b parent"
     */
    StateMachine(Table<S> table, S initial, String logName, String owner) {
        this.table = table;
        this.state = initial;
        this.visited = 1L << initial.ordinal();
        this.logName = logName;
        this.owner = owner;
    }

    S get() {
        return state;
    }

    /** True if the machine has been in {@code s} (it may have moved on, to an end for example). */
    boolean reached(S s) {
        return (visited & (1L << s.ordinal())) != 0;
    }

    Table<S> table() {
        return table;
    }

    /**
     * Moves to {@code next}, logged with its step and {@code reason}.
     *
     * @return the state moved from
     * @throws IllegalTransitionException if the table does not allow the move from the current state
     */
    S move(S next, String reason) {
        S from;
        synchronized (this) {
            from = state;
            if (!table.allows(from, next)) {
                throw new IllegalTransitionException(owner + ": illegal transition " + from + " -> " + next
                        + " (" + next.step() + " " + next.description() + "; " + reason + "); allowed from " + from
                        + ": " + table.next(from));
            }
            enter(next);
        }
        logMove(from, next, reason);
        return from;
    }

    /** Moves to {@code next} if the table allows it from the current state; false (and no move) otherwise. */
    boolean moveIfAllowed(S next, String reason) {
        S from;
        synchronized (this) {
            from = state;
            if (!table.allows(from, next)) {
                return false;
            }
            enter(next);
        }
        logMove(from, next, reason);
        return true;
    }

    /** Moves to {@code next} only from {@code expected}: false (and no move) if the state is another. */
    boolean moveFrom(S expected, S next, String reason) {
        synchronized (this) {
            if (state != expected) {
                return false;
            }
            if (!table.allows(expected, next)) {
                throw new IllegalTransitionException(owner + ": illegal transition " + expected + " -> " + next);
            }
            enter(next);
        }
        logMove(expected, next, reason);
        return true;
    }

    /** Under this machine's lock. */
    private void enter(S next) {
        visited |= 1L << next.ordinal();
        state = next;
    }

    private void logMove(S from, S next, String reason) {
        String because = reason == null || reason.isEmpty() ? "" : ": " + reason;
        if (next.handover() || from.handover()) {
            Logs.of(logName).info("{}: {} {} ({} -> {}){}", owner, next.step(), next.description(), from, next,
                    because);
        } else {
            // kept until SLF4J is set up in a fresh client, whose first connect makes only such moves
            Logs.debug(logName, "{}: {} {} ({} -> {}){}", owner, next.step(), next.description(), from, next,
                    because);
        }
    }

    @Override
    public String toString() {
        return owner + " " + state;
    }
}
