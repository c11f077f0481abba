package io.viaemu.socket.rmi;

/** The object behind both {@link Reverser} (RMI) and {@link ReverserServiceMBean} (JMX). */
public final class ReverserService implements Reverser, ReverserServiceMBean {

    @Override
    public byte[] reverse(byte[] bytes) {
        byte[] r = new byte[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            r[i] = bytes[bytes.length - 1 - i];
        }
        return r;
    }

    @Override
    public long pid() {
        return ProcessHandle.current().pid();
    }

    @Override
    public long getPid() {
        return pid();
    }
}
