package io.viaemu.nio.it;

import java.nio.ByteBuffer;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.Fields;

/**
 * A Jetty 12 server (its ServerConnector: a ServerSocketChannel, ManagedSelectors), nothing via-emu in it: {@code
 * POST /echo} answers with the request body, {@code GET /bytes?n=N&seed=S} with N seeded random bytes. Args: port.
 */
public final class JettyServerMain {
    public static void main(String[] args) throws Exception {
        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setPort(Integer.parseInt(args[0]));
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                byte[] body;
                String path = Request.getPathInContext(request);
                if (path.equals("/echo")) {
                    ByteBuffer b = Content.Source.asByteBuffer(request);
                    body = new byte[b.remaining()];
                    b.get(body);
                } else if (path.equals("/bytes")) {
                    Fields q = Request.extractQueryParameters(request);
                    body = HttpBodies.random(Integer.parseInt(q.getValue("n")), Long.parseLong(q.getValue("seed")));
                } else {
                    Response.writeError(request, response, callback, 404);
                    return true;
                }
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        System.out.println("LISTENING " + connector.getLocalPort());
        server.join();
    }
}
