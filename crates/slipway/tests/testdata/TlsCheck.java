import java.io.InputStream;
import java.net.URI;
import javax.net.ssl.HttpsURLConnection;

/** Fetches a URL over HTTPS with the JVM's default trust store and prints the body. */
public class TlsCheck {
    public static void main(String[] args) throws Exception {
        HttpsURLConnection connection = (HttpsURLConnection) new URI(args[0]).toURL().openConnection();
        try (InputStream in = connection.getInputStream()) {
            System.out.print(new String(in.readAllBytes(), "UTF-8"));
        }
    }
}
