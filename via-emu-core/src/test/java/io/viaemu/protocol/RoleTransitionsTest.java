package io.viaemu.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.EnumSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

/** The roles' transition tables: every state reachable, every end final, failure allowed from every live state. */
class RoleTransitionsTest {

    private static <S extends Enum<S> & StateMachine.Step> void checkTable(StateMachine.Table<S> table, S initial,
            S failed, Class<S> type) {
        Set<S> reached = EnumSet.of(initial);
        boolean grew = true;
        while (grew) {
            grew = false;
            for (S s : EnumSet.copyOf(reached)) {
                grew |= reached.addAll(table.next(s));
            }
        }
        assertThat(reached).as("every state reachable from " + initial).containsExactlyInAnyOrder(
                type.getEnumConstants());
        for (S s : type.getEnumConstants()) {
            if (s.terminal()) {
                assertThat(table.next(s)).as(s + " is final").isEmpty();
            } else {
                assertThat(table.allows(s, failed)).as(s + " -> " + failed).isTrue();
                assertThat(table.allows(s, s)).as(s + " -> itself").isFalse();
            }
        }
    }

    @Test
    void parentTable() {
        checkTable(ParentRole.TRANSITIONS, ParentRole.State.REQUESTED, ParentRole.State.FAILED,
                ParentRole.State.class);
        // the handover's steps in order, none skipped, none undone
        assertThat(ParentRole.TRANSITIONS.next(ParentRole.State.INTERMISSION))
                .containsExactlyInAnyOrder(ParentRole.State.COPYING, ParentRole.State.FAILED);
        assertThat(ParentRole.TRANSITIONS.allows(ParentRole.State.FORKED, ParentRole.State.HANDED_OVER)).isFalse();
        assertThat(ParentRole.TRANSITIONS.allows(ParentRole.State.RECONNECTING, ParentRole.State.FORKED)).isFalse();
    }

    @Test
    void childTable() {
        checkTable(ChildRole.TRANSITIONS, ChildRole.State.ASSIGNED, ChildRole.State.FAILED, ChildRole.State.class);
        assertThat(ChildRole.TRANSITIONS.allows(ChildRole.State.OWNER, ChildRole.State.REQUESTED)).isFalse();
    }

    @Test
    void clientTable() {
        checkTable(ClientRole.TRANSITIONS, ClientRole.State.CONNECTING, ClientRole.State.FAILED,
                ClientRole.State.class);
        assertThat(ClientRole.TRANSITIONS.allows(ClientRole.State.ESTABLISHED, ClientRole.State.RECONNECTING))
                .as("S49 only after S47 or the parent's death").isFalse();
        assertThat(ClientRole.TRANSITIONS.allows(ClientRole.State.RECONNECTING, ClientRole.State.PARENT_LOST))
                .isFalse();
    }

    @Test
    void theMachineRejectsWhatItsTableDoesNotAllow() {
        StateMachine<ClientRole.State> m = new StateMachine<>(ClientRole.TRANSITIONS, ClientRole.State.CONNECTING,
                RoleTransitionsTest.class.getName(), "test");
        assertThat(m.move(ClientRole.State.ESTABLISHED, "granted")).isEqualTo(ClientRole.State.CONNECTING);
        assertThatThrownBy(() -> m.move(ClientRole.State.RECONNECTED, "skipping"))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("ESTABLISHED -> RECONNECTED");
        assertThat(m.get()).isEqualTo(ClientRole.State.ESTABLISHED);
        assertThat(m.moveFrom(ClientRole.State.INTERMITTED, ClientRole.State.RECONNECTING, "")).isFalse();
        assertThat(m.moveIfAllowed(ClientRole.State.CLOSED, "closed")).isTrue();
        assertThat(m.moveIfAllowed(ClientRole.State.FAILED, "late")).as("an end stays").isFalse();
        assertThat(m.reached(ClientRole.State.ESTABLISHED)).isTrue();
        assertThat(m.reached(ClientRole.State.RECONNECTED)).isFalse();
    }
}
