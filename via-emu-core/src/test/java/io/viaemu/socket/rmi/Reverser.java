package io.viaemu.socket.rmi;

import java.rmi.Remote;
import java.rmi.RemoteException;

/** The remote interface of the RMI test: returns its argument reversed, and says which process it runs in. */
public interface Reverser extends Remote {
    byte[] reverse(byte[] bytes) throws RemoteException;

    long pid() throws RemoteException;
}
