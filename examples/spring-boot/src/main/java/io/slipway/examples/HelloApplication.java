package io.slipway.examples;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** A Spring Boot web app answering GET / on $PORT (server.port follows PORT below). */
@SpringBootApplication
@RestController
public class HelloApplication {
    @GetMapping("/")
    public String hello() {
        return "Hello from slipway on Spring Boot!\n";
    }

    public static void main(String[] args) {
        SpringApplication.run(HelloApplication.class, args);
    }
}
