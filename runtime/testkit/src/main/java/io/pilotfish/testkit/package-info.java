/**
 * Test doubles for Pilotfish: {@link io.pilotfish.testkit.EcsMetadataSimulator} (the ECS task metadata endpoint)
 * and {@link io.pilotfish.testkit.IntakeRecorder} (a Datadog intake). Both are loopback Vert.x HTTP servers.
 */
package io.pilotfish.testkit;
