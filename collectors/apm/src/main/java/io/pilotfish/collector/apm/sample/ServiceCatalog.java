package io.pilotfish.collector.apm.sample;

import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.LongConsumer;

/**
 * The (service, env) pairs the priority sampler has rates for, least recently seen first, capped at
 * {@code maxEntries} as the Agent caps its catalog ({@code DD_APM_MAX_CATALOG_SERVICES}, 5000). A pair pushed out by
 * age is reported so that the rate window forgets it too.
 *
 * <p>Not thread-safe: the priority sampler holds it under its lock.
 */
final class ServiceCatalog {

    private final LinkedHashMap<ServiceSignature, Long> entries;
    private final LongConsumer onRemoved;

    ServiceCatalog(int maxEntries, LongConsumer onRemoved) {
        this.onRemoved = onRemoved;
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<ServiceSignature, Long> eldest) {
                if (size() <= maxEntries) {
                    return false;
                }
                onRemoved.accept(eldest.getValue());
                return true;
            }
        };
    }

    /** Marks the pair as just seen and returns its signature. */
    long register(ServiceSignature key) {
        Long signature = entries.get(key);
        if (signature != null) {
            return signature;
        }
        long hash = key.hash();
        entries.put(key, hash);
        return hash;
    }

    /**
     * The rates to publish, by {@code rate_by_service} key: each pair with a rate, also under an empty env when its
     * env is the agent's (tracers without an env look that key up), and the default entry. Pairs whose signature has
     * no rate leave the catalog.
     */
    TreeMap<String, Double> ratesByService(String agentEnv, Map<Long, Double> rates, double defaultRate) {
        TreeMap<String, Double> byKey = new TreeMap<>(GoJson::compareUtf8);
        for (Iterator<Map.Entry<ServiceSignature, Long>> it = entries.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<ServiceSignature, Long> e = it.next();
            Double rate = rates.get(e.getValue());
            if (rate == null) {
                // not rated yet (or no longer): it comes back with its next chunk, its counts stay in the window
                it.remove();
                continue;
            }
            ServiceSignature key = e.getKey();
            byKey.put(key.rateKey(), rate);
            if (key.env().equals(agentEnv)) {
                byKey.put(new ServiceSignature(key.service(), "").rateKey(), rate);
            }
        }
        byKey.put(ServiceSignature.DEFAULT.rateKey(), defaultRate);
        return byKey;
    }

    int size() {
        return entries.size();
    }

    /** The signatures of the pairs in the catalog. */
    Set<Long> signatures() {
        return new HashSet<>(entries.values());
    }
}
