package io.viaemu.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import io.viaemu.Trigger;
import io.viaemu.idle.Doorbell;
import io.viaemu.protocol.FlagBlock.Owner;
import io.viaemu.protocol.FlagBlock.Word;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flag block as a descriptor: its layout, and the once-only decisions it makes by CAS. */
class FlagBlockLayoutTest {

    private static int line(Word w) {
        return w.offset() / FlagBlock.CACHE_LINE;
    }

    @Test
    void layoutIsConsistentAndBelowTheDoorbells() {
        assertThat(FlagBlock.layoutProblem()).isNull();
        for (Word w : Word.values()) {
            assertThat(w.offset() % 8).as(w.name()).isZero();
            assertThat(w.offset() + 8).as(w.name()).isLessThanOrEqualTo(FlagBlock.DOORBELLS_OFFSET);
        }
    }

    @Test
    void theChildsDoorbellRingsOnlyOnWhatTheChildWaitsFor(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        assertThat(FlagBlock.CHILD_BELL_OFFSET).isEqualTo(3904);
        Doorbell child = flags.childBell();
        Doorbell server = flags.serverBell();
        child.arm();
        server.arm();
        try {
            int childSeq = child.sequence();
            int serverSeq = server.sequence();
            // the handover's other steps: the server side's doorbell rings, the child's does not
            flags.set(Word.STATE, ConnectionState.FORKED.code());
            flags.set(Word.CHILD_PID, 77);
            flags.fireTrigger(Trigger.T1_PARENT_CLOSE);
            flags.set(Word.TRANSMISSION_INTERMISSION, FlagBlock.Intermission.REQUESTED);
            flags.advance(ConnectionState.INTERMISSION);
            flags.set(Word.P, 1);
            flags.set(Word.CLIENT_REPORTED, 1);
            flags.orBits(Word.CLOSED_MASK, FlagBlock.CLOSED_SERVER);
            assertThat(server.sequence()).isNotEqualTo(serverSeq);
            assertThat(child.sequence()).as("child's doorbell").isEqualTo(childSeq);
            // what ends a child's wait for ownership or for S13
            flags.set(Word.CHILD_GRANTED, 77);
            assertThat(child.sequence()).isEqualTo(childSeq + 1);
            flags.complete(); // the completion word itself does not ring it; HANDED_OVER does
            assertThat(child.sequence()).isEqualTo(childSeq + 2);
            flags.advance(ConnectionState.CLOSED);
            assertThat(child.sequence()).isEqualTo(childSeq + 3);
            flags.fail(ErrorCode.PROTOCOL); // the error, then FAILED
            assertThat(child.sequence()).isEqualTo(childSeq + 5);
        } finally {
            child.disarm();
            server.disarm();
        }
    }

    @Test
    void theParentsDoorbellRingsOnlyOnWhatTheParentsHandoverWaitsFor(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        assertThat(FlagBlock.PARENT_BELL_OFFSET).isEqualTo(3840).isEqualTo(FlagBlock.DOORBELLS_OFFSET);
        assertThat(FlagBlock.PARENT_BELL_OFFSET + FlagBlock.DOORBELLS_SIZE).isEqualTo(Coordination.SIZE);
        Doorbell parent = flags.parentBell();
        Doorbell server = flags.serverBell();
        parent.arm();
        server.arm();
        try {
            int parentSeq = parent.sequence();
            int serverSeq = server.sequence();
            // what the parent does not wait for: the server side's doorbell rings, the parent's does not
            flags.set(Word.STATE, ConnectionState.FORKED.code());
            flags.fireTrigger(Trigger.T1_PARENT_CLOSE);
            flags.set(Word.TRANSMISSION_INTERMISSION, FlagBlock.Intermission.REQUESTED);
            flags.advance(ConnectionState.INTERMISSION);
            flags.set(Word.P, 1);
            flags.set(Word.CHILD_GRANTED, 77);
            flags.set(Word.C, Trigger.T3_CHILD_RECEIVE.code());
            flags.orBits(Word.CLOSED_MASK, FlagBlock.CLOSED_CLIENT);
            assertThat(server.sequence()).isNotEqualTo(serverSeq);
            assertThat(parent.sequence()).as("parent's doorbell").isEqualTo(parentSeq);
            // what ends EMU_FORK's wait, S8, S12
            flags.set(Word.CHILD_PID, 77);
            assertThat(parent.sequence()).isEqualTo(parentSeq + 1);
            flags.set(Word.TRANSMISSION_INTERMISSION, FlagBlock.Intermission.INTERMITTED);
            assertThat(parent.sequence()).isEqualTo(parentSeq + 2);
            flags.set(Word.CLIENT_REPORTED, 1);
            assertThat(parent.sequence()).isEqualTo(parentSeq + 3);
            flags.complete(); // the parent sets it: neither the word nor HANDED_OVER rings the parent
            assertThat(parent.sequence()).isEqualTo(parentSeq + 3);
            flags.fail(ErrorCode.PROTOCOL); // the error, then FAILED
            assertThat(parent.sequence()).isEqualTo(parentSeq + 5);
            flags.ringBoth(); // a process exit, a close: every waiting side looks
            assertThat(parent.sequence()).isEqualTo(parentSeq + 6);
        } finally {
            parent.disarm();
            server.disarm();
        }
    }

    @Test
    void wordsOfDifferentWritersNeverShareACacheLine() {
        for (Word a : Word.values()) {
            for (Word b : Word.values()) {
                if (line(a) == line(b) && a.owner() != b.owner()) {
                    assertThat(List.of(a.owner(), b.owner())).as(a + " and " + b)
                            .containsExactlyInAnyOrder(Owner.PARENT, Owner.SERVER);
                }
            }
        }
        // the case: the parent's per-receive consumed slots away from the child's words and the trigger
        List<Word> slots = List.of(Word.CONSUMED_SLOT, Word.CONSUMED_INDEX_0, Word.CONSUMED_OFFSET_0,
                Word.CONSUMED_INDEX_1, Word.CONSUMED_OFFSET_1, Word.CONSUMED_COUNT_0, Word.CONSUMED_COUNT_1);
        for (Word slot : slots) {
            assertThat(line(slot)).isNotEqualTo(line(Word.CHILD_PID)).isNotEqualTo(line(Word.TRIGGER_FIRED))
                    .isNotEqualTo(line(Word.DOWN_APPENDED)).isNotEqualTo(line(Word.UP_APPENDED));
        }
        List<Integer> hot = new ArrayList<>();
        for (Word w : List.of(Word.UP_CONSUMED, Word.DOWN_CONSUMED, Word.UP_APPENDED, Word.DOWN_APPENDED,
                Word.BYTES_APPENDED)) {
            hot.add(line(w));
        }
        assertThat(hot).as("each frequently written word on a line of its own writer").doesNotHaveDuplicates();
    }

    @Test
    void aSlotsWordsAreTheClientsAndTheParentsOnLinesOfTheirOwn() {
        for (Word w : List.of(Word.SLOT_USE, Word.SLOT_KEPT, Word.UP_START, Word.DOWN_START, Word.UP_END)) {
            assertThat(w.owner()).as(w.name()).isEqualTo(Owner.CLIENT);
            assertThat(line(w)).isEqualTo(line(Word.SLOT_USE)).isNotEqualTo(line(Word.CLIENT_PID));
        }
        for (Word w : List.of(Word.DOWN_END, Word.SLOT_RELEASED)) {
            assertThat(w.owner()).as(w.name()).isEqualTo(Owner.PARENT);
            assertThat(line(w)).isNotEqualTo(line(Word.SLOT_USE)).isNotEqualTo(line(Word.PARENT_PID));
        }
    }

    @Test
    void aSlotsNextUseKeepsItsQueuesClocksAndStartsAfterThePreviousUse(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        flags.set(Word.STATE, ConnectionState.IDLE.code());
        flags.set(Word.SLOT_USE, 4);
        flags.set(Word.UP_END, 0x1_0000_0010L);
        flags.set(Word.DOWN_END, 0x1_0000_0020L);
        flags.set(Word.UP_SEGMENT, 7);
        flags.set(Word.DOWN_SEGMENT, 9);
        flags.set(Word.PARENT_PID, 1234);
        flags.set(Word.CLIENT_PID, 4321);
        flags.set(Word.UP_APPENDED, 99);
        flags.set(Word.CLOSED_MASK, 3);
        assertThat(flags.claimSlot()).isTrue();
        assertThat(flags.claimSlot()).isFalse();
        assertThat(flags.resetForNextUse()).isEqualTo(5);
        assertThat(flags.get(Word.SLOT_USE)).isEqualTo(5);
        assertThat(flags.get(Word.UP_START)).isEqualTo(0x1_0000_0010L);
        assertThat(flags.get(Word.DOWN_START)).isEqualTo(0x1_0000_0020L);
        assertThat(flags.get(Word.UP_SEGMENT)).isEqualTo(7);
        assertThat(flags.get(Word.DOWN_SEGMENT)).isEqualTo(9);
        assertThat(flags.state()).isEqualTo(ConnectionState.CONNECTING);
        assertThat(flags.clientPid()).as("a slot always names its client, for the sweepers").isEqualTo(4321);
        for (Word w : List.of(Word.PARENT_PID, Word.UP_APPENDED, Word.CLOSED_MASK, Word.UP_END, Word.DOWN_END,
                Word.SLOT_KEPT, Word.SLOT_RELEASED)) {
            assertThat(flags.get(w)).as(w.name()).isZero();
        }
        assertThat(flags.get(Word.MAGIC)).isEqualTo(FlagBlock.MAGIC_VALUE);
    }

    @Test
    void aTriggerFiresAtMostOnceAndTheCompletionIsSetOnce(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        flags.set(Word.TRIGGERS_ENABLED, Trigger.mask(List.of(Trigger.T1_PARENT_CLOSE, Trigger.T3_CHILD_RECEIVE)));
        assertThat(flags.triggerEnabled(Trigger.T1_PARENT_CLOSE)).isTrue();
        assertThat(flags.triggerEnabled(Trigger.T2_PARENT_ABORT)).isFalse();
        assertThat(flags.fireTrigger(Trigger.T3_CHILD_RECEIVE)).isTrue();
        assertThat(flags.fireTrigger(Trigger.T1_PARENT_CLOSE)).isFalse();
        assertThat(flags.firedTrigger()).isEqualTo(Trigger.T3_CHILD_RECEIVE);
        assertThat(flags.get(Word.AT_TRIGGER)).isPositive();
        assertThat(flags.get(Word.NANOS_TRIGGER)).isNotZero();

        flags.set(Word.STATE, ConnectionState.RECONNECTING.code());
        assertThat(flags.complete()).isTrue();
        long completedAt = flags.get(Word.NANOS_COMPLETED);
        assertThat(flags.complete()).isFalse();
        assertThat(flags.get(Word.NANOS_COMPLETED)).as("not stamped twice").isEqualTo(completedAt);
        assertThat(flags.state()).isEqualTo(ConnectionState.HANDED_OVER);

        // a reader that opens the file sees the same words where the layout says
        FlagBlock reader = FlagBlock.openReadOnly(dir);
        assertThat(reader.firedTrigger()).isEqualTo(Trigger.T3_CHILD_RECEIVE);
        assertThat(reader.isCompleted()).isTrue();
    }

    @Test
    void forkRollbackIsACasFromForked(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        flags.set(Word.STATE, ConnectionState.FORKED.code());
        flags.set(Word.WORKER_ID, 5);
        assertThat(flags.rollbackFork(false)).isTrue();
        assertThat(flags.state()).isEqualTo(ConnectionState.ESTABLISHED);
        assertThat(flags.get(Word.WORKER_ID)).isEqualTo(5);

        flags.set(Word.STATE, ConnectionState.FORKED.code());
        flags.fail(ErrorCode.CLIENT_DIED); // another process, between the check and the rollback
        assertThat(flags.rollbackFork(true)).isFalse();
        assertThat(flags.state()).isEqualTo(ConnectionState.FAILED);
        assertThat(flags.get(Word.WORKER_ID)).isZero();
    }

    @Test
    void anOldLayoutIsNotTakenForThisOne(@TempDir Path dir) throws Exception {
        FlagBlock flags = FlagBlock.create(dir);
        flags.set(Word.MAGIC, 0x3147414c46414956L); // "VIAFLAG1": the layout before the cache-line grouping
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FlagBlock.open(dir))
                .hasMessageContaining("no via-emu magic word");
    }
}
