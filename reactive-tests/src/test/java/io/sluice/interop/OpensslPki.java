package io.sluice.interop;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A CA, a server and a client identity made by the openssl command line, as PEM and PKCS#12 files. */
final class OpensslPki {

    final Path dir;
    final Path caCert;

    OpensslPki(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        this.caCert = dir.resolve("ca.pem");
        run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir.resolve("ca.key").toString(),
                "-out", caCert.toString(), "-days", "2", "-subj", "/CN=OpenSSL Test CA");
    }

    /** Issues an EC P-256 identity; returns the base path (name.pem, name.key, name-chain.pem, name.p12). */
    Path issue(String name) throws IOException, InterruptedException {
        Path key = dir.resolve(name + ".key");
        Path csr = dir.resolve(name + ".csr");
        Path cert = dir.resolve(name + ".pem");
        // SEC1 "EC PRIVATE KEY" on purpose: Sluice must read the format openssl's own tools write.
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", key.toString());
        run("req", "-new", "-key", key.toString(), "-out", csr.toString(), "-subj", "/CN=" + name);
        run("x509", "-req", "-in", csr.toString(), "-CA", caCert.toString(), "-CAkey", dir.resolve("ca.key").toString(),
                "-CAcreateserial", "-out", cert.toString(), "-days", "1");
        Files.writeString(dir.resolve(name + "-chain.pem"), Files.readString(cert) + Files.readString(caCert));
        run("pkcs12", "-export", "-inkey", key.toString(), "-in", cert.toString(), "-certfile", caCert.toString(),
                "-out", dir.resolve(name + ".p12").toString(), "-passout", "pass:changeit");
        return dir.resolve(name);
    }

    private static void run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed:\n" + new String(out, StandardCharsets.UTF_8));
        }
    }
}
