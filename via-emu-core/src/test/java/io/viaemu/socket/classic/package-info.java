/**
 * Classic blocking socket code as found in countless applications: a {@code ServerSocket} accept loop with a thread
 * per client, and a client on a {@code Socket}. It imports only {@code java.*} and {@code javax.net} (a test checks
 * that the compiled classes reference nothing of via-emu): it gets its sockets from the {@code SocketFactory} /
 * {@code ServerSocketFactory} it is given and knows nothing else. The tests run it, unchanged, over real TCP and
 * over via-emu.
 */
package io.viaemu.socket.classic;
