package io.pilotfish.agent.cli;

import picocli.CommandLine.IVersionProvider;

public class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {"pilotfish " + io.pilotfish.agent.Version.VALUE};
    }
}
