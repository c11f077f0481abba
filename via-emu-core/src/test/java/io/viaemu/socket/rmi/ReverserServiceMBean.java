package io.viaemu.socket.rmi;

/** The standard MBean interface of the JMX test: the same operation as {@link Reverser}, and the pid attribute. */
public interface ReverserServiceMBean {
    byte[] reverse(byte[] bytes);

    long getPid();
}
