package io.slipway.examples;

import java.io.IOException;
import javax.servlet.annotation.WebServlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.commons.text.WordUtils;

/** Answers every request with a greeting, as the CF Local walkthrough's hello-servlet did. */
@WebServlet("/")
public class HelloServlet extends HttpServlet {
    private static final String GREETING = "hello from slipway on tomcat!";

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response)
            throws IOException {
        response.setContentType("text/plain;charset=UTF-8");
        response.getWriter().println(WordUtils.capitalize(GREETING));
    }
}
