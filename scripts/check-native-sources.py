#!/usr/bin/env python3
"""Native-image readiness check for Pilotfish plugins.

Usage: check-native-sources.py <native-sources-dir> <repo-root>

<native-sources-dir> is what `mvn package -Dquarkus.native.enabled=true -Dquarkus.native.sources-only=true`
leaves in target/native-sources. The check passes only if every plugin factory listed in a
src/main/resources/META-INF/services/io.pilotfish.spi.{CollectorFactory,SinkFactory} file under the repo's
collectors/, sinks/ and examples/ folders is registered for reflection in the runner jar's native-image
configuration, and each of those services files is included as a native-image resource. Without both, a native
agent silently runs without the plugin: Quarkus disables GraalVM's automatic ServiceLoader support.

Reads META-INF/native-image/**/reflect-config.json and resource-config.json (what Quarkus 3.31 writes) and
reachability-metadata.json (GraalVM's newer single-file format), at any depth below META-INF/native-image/.

Exit codes: 0 all registered, 1 something missing, 2 usage or input error.
"""

import json
import re
import sys
import zipfile
from pathlib import Path

SPIS = {
    "collector": "io.pilotfish.spi.CollectorFactory",
    "sink": "io.pilotfish.spi.SinkFactory",
}
PLUGIN_FOLDERS = ("collectors", "sinks", "examples")
NATIVE_IMAGE_DIR = "META-INF/native-image/"


class InputError(Exception):
    """The inputs cannot be checked at all (missing jar, unreadable JSON): exit 2."""


def services_path(spi):
    return "META-INF/services/" + spi


def read_services_file(path):
    """Class names in a services file: one a line, '#' starts a comment, blank lines ignored."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def find_plugins(repo_root):
    """[(kind, class name, services file path relative to repo)] from every plugin module's services files."""
    plugins = []
    for folder in PLUGIN_FOLDERS:
        base = repo_root / folder
        if not base.is_dir():
            continue
        for kind, spi in SPIS.items():
            suffix = "src/main/resources/" + services_path(spi)
            for services_file in sorted(base.glob("**/" + suffix)):
                if "/target/" in services_file.as_posix():
                    continue
                relative = services_file.relative_to(repo_root).as_posix()
                for class_name in read_services_file(services_file):
                    plugins.append((kind, class_name, relative))
    return plugins


def find_runner_jar(native_sources):
    jars = sorted(native_sources.glob("*-runner.jar"))
    if len(jars) != 1:
        found = ", ".join(j.name for j in jars) or "none"
        raise InputError(f"expected exactly one *-runner.jar in {native_sources}, found {found}")
    return jars[0]


def java_regex_to_python(pattern):
    """GraalVM resource patterns are Java regexes; Quarkus quotes literals with \\Q...\\E, which Python lacks."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("\\Q", i):
            end = pattern.find("\\E", i + 2)
            literal = pattern[i + 2:] if end < 0 else pattern[i + 2:end]
            out.append(re.escape(literal))
            i = len(pattern) if end < 0 else end + 2
        elif pattern[i] == "\\" and i + 1 < len(pattern):
            out.append(pattern[i:i + 2])
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def glob_to_regex(glob):
    """GraalVM resource globs: '**' spans directories, '*' stays within one path segment."""
    out = []
    i = 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("**", i):
            out.append(".*")
            i += 2
        elif glob[i] == "*":
            out.append("[^/]*")
            i += 1
        elif glob[i] == "\\" and i + 1 < len(glob):
            out.append(re.escape(glob[i + 1]))
            i += 2
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return "".join(out)


class NativeConfig:
    """Reflection types and resource include/exclude rules merged from every config file in the jar."""

    def __init__(self):
        self.reflective = {}   # class name -> list of entries (dicts)
        self.includes = []     # (description, compiled regex)
        self.excludes = []
        self.sources = []

    def add_reflection_entries(self, entries, source):
        if not isinstance(entries, list):
            raise InputError(f"{source}: expected a JSON array of reflection entries")
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            name = entry.get("name", entry.get("type"))
            if isinstance(name, str):
                self.reflective.setdefault(name, []).append(entry)

    def add_resource_rule(self, rule, source, target):
        if isinstance(rule, str):
            rule = {"pattern": rule}
        if not isinstance(rule, dict):
            return
        try:
            if "glob" in rule:
                target.append((f"glob {rule['glob']}", re.compile(glob_to_regex(rule["glob"]))))
            elif "pattern" in rule:
                target.append((f"pattern {rule['pattern']}",
                               re.compile(java_regex_to_python(rule["pattern"]))))
        except re.error as e:
            raise InputError(f"{source}: cannot read resource rule {rule}: {e}") from e

    def add_resource_config(self, config, source):
        if not isinstance(config, dict):
            raise InputError(f"{source}: expected a JSON object")
        resources = config.get("resources", {})
        if isinstance(resources, dict):
            for rule in resources.get("includes", []):
                self.add_resource_rule(rule, source, self.includes)
            for rule in resources.get("excludes", []):
                self.add_resource_rule(rule, source, self.excludes)
        elif isinstance(resources, list):
            for rule in resources:
                self.add_resource_rule(rule, source, self.includes)
        for rule in config.get("globs", []):
            self.add_resource_rule(rule, source, self.includes)

    def add_reachability_metadata(self, metadata, source):
        if not isinstance(metadata, dict):
            raise InputError(f"{source}: expected a JSON object")
        self.add_reflection_entries(metadata.get("reflection", []), source)
        self.add_resource_config({"resources": metadata.get("resources", [])}, source)

    def is_resource_included(self, path):
        """Which include rule covers path; None when no rule does or an exclude removes it."""
        for description, regex in self.excludes:
            if regex.fullmatch(path):
                return None
        for description, regex in self.includes:
            if regex.fullmatch(path):
                return description
        return None

    def has_no_arg_constructor(self, class_name):
        for entry in self.reflective.get(class_name, []):
            if entry.get("allDeclaredConstructors") or entry.get("allPublicConstructors"):
                return True
            for method in entry.get("methods", []):
                if method.get("name") == "<init>" and not method.get("parameterTypes"):
                    return True
        return False


def load_native_config(runner_jar):
    config = NativeConfig()
    with zipfile.ZipFile(runner_jar) as jar:
        for name in sorted(jar.namelist()):
            if not name.startswith(NATIVE_IMAGE_DIR):
                continue
            file_name = name.rsplit("/", 1)[-1]
            if file_name not in ("reflect-config.json", "resource-config.json", "reachability-metadata.json"):
                continue
            source = f"{runner_jar.name}!/{name}"
            try:
                content = json.loads(jar.read(name).decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as e:
                raise InputError(f"{source}: not valid JSON: {e}") from e
            if file_name == "reflect-config.json":
                config.add_reflection_entries(content, source)
            elif file_name == "resource-config.json":
                config.add_resource_config(content, source)
            else:
                config.add_reachability_metadata(content, source)
            config.sources.append(name)
    if not config.sources:
        raise InputError(f"{runner_jar} has no reflect-config.json, resource-config.json or"
                         f" reachability-metadata.json under {NATIVE_IMAGE_DIR}")
    return config


def check(native_sources, repo_root):
    """Prints one line per plugin and per services file; returns the list of missing items."""
    plugins = find_plugins(repo_root)
    if not plugins:
        raise InputError(f"no plugin services files found under {', '.join(PLUGIN_FOLDERS)} in {repo_root}")
    runner_jar = find_runner_jar(native_sources)
    config = load_native_config(runner_jar)
    print(f"native config: {runner_jar.name}: {', '.join(config.sources)}")

    missing = []
    for kind, class_name, services_file in plugins:
        if class_name not in config.reflective:
            missing.append(f"{kind} {class_name} ({services_file}) is not registered for reflection")
            print(f"MISSING  {kind:9} {class_name}  ({services_file}): not in the reflection config")
        elif not config.has_no_arg_constructor(class_name):
            missing.append(f"{kind} {class_name} ({services_file}) is registered without its constructors")
            print(f"MISSING  {kind:9} {class_name}  ({services_file}): constructors not registered")
        else:
            print(f"ok       {kind:9} {class_name}  ({services_file})")

    for kind in sorted({kind for kind, _, _ in plugins}):
        path = services_path(SPIS[kind])
        rule = config.is_resource_included(path)
        if rule is None:
            missing.append(f"resource {path} is not included in the native image")
            print(f"MISSING  resource  {path}: no resource rule includes it")
        else:
            print(f"ok       resource  {path}  ({rule})")
    return missing


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    native_sources, repo_root = Path(argv[1]), Path(argv[2])
    for path, what in ((native_sources, "native-sources directory"), (repo_root, "repository root")):
        if not path.is_dir():
            print(f"error: {what} {path} does not exist", file=sys.stderr)
            return 2
    try:
        missing = check(native_sources, repo_root)
    except (InputError, zipfile.BadZipFile, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if missing:
        print(f"\nNOT native-ready: {len(missing)} missing", file=sys.stderr)
        for item in missing:
            print(f"  - {item}", file=sys.stderr)
        return 1
    print("native-ready: every plugin is registered")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
