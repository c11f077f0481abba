package io.viaemu.protocol;

/**
 * A role's state was to move where its transition table does not allow (see {@link StateMachine}): a defect or a
 * peer breaking the protocol. The role fails the connection with it.
 */
public final class IllegalTransitionException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public IllegalTransitionException(String message) {
        super(message);
    }
}
