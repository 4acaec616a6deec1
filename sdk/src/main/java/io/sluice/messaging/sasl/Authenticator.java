package io.sluice.messaging.sasl;

import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * The server's user store, asked during SASL exchanges. Lookups may be slow (a directory, a
 * database): they return {@code Mono}s and must not block the calling thread, which can be an event
 * loop; an implementation over a blocking store subscribes on a bounded scheduler itself.
 */
public interface Authenticator {

    /**
     * The account of a user.
     *
     * @param username the SASL authentication identity
     * @return the account, or empty for an unknown user
     */
    Mono<Account> account(String username);

    /**
     * The user a verified TLS client certificate stands for (SASL EXTERNAL).
     *
     * @param leaf the client's certificate, already verified against the server's trust
     * @return the user name, or empty if the certificate maps to nobody
     */
    default Mono<String> userForCertificate(X509Certificate leaf) {
        return Mono.empty();
    }

    /**
     * A fixed set of accounts, with certificates mapped to users by their subject's distinguished
     * name (RFC 2253 form, as {@code X500Principal.getName()} gives it). For tests, demos and small
     * deployments.
     *
     * @param accounts the users
     * @param certificateSubjects subject DN to user name
     * @return the authenticator
     */
    static Authenticator of(Collection<Account> accounts, Map<String, String> certificateSubjects) {
        Map<String, Account> byName = new HashMap<>();
        accounts.forEach(a -> byName.put(a.name(), a));
        Map<String, String> subjects = Map.copyOf(certificateSubjects);
        return new Authenticator() {
            @Override
            public Mono<Account> account(String username) {
                return Mono.justOrEmpty(byName.get(username));
            }

            @Override
            public Mono<String> userForCertificate(X509Certificate leaf) {
                return Mono.justOrEmpty(subjects.get(leaf.getSubjectX500Principal().getName()));
            }
        };
    }
}
