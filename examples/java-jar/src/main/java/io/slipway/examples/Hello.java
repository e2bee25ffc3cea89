package io.slipway.examples;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Serves a JSON greeting on $PORT (8080 by default) with the JDK's built-in HTTP server. */
public final class Hello {
    private Hello() {}

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        Gson gson = new Gson();
        server.createContext("/", exchange -> {
            byte[] body = gson.toJson(Map.of("greeting", "Hello from slipway!"))
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        System.out.println("java-jar listening on port " + port);
    }
}
