/**
 * Test doubles for Pilotfish: {@link io.pilotfish.testkit.EcsMetadataSimulator} (the ECS task metadata endpoint)
 * and {@link io.pilotfish.testkit.IntakeRecorder} (a Datadog intake), both loopback Vert.x HTTP servers;
 * {@link io.pilotfish.testkit.TestPluginContext} (a real plugin context for unit tests) with
 * {@link io.pilotfish.testkit.TestMetadataSource} and {@link io.pilotfish.testkit.CollectingEmitter}; and the plugin
 * contract as inheritable tests: {@link io.pilotfish.testkit.CollectorContractTest},
 * {@link io.pilotfish.testkit.SinkContractTest}, {@link io.pilotfish.testkit.HttpSinkContractTest}.
 */
package io.pilotfish.testkit;
