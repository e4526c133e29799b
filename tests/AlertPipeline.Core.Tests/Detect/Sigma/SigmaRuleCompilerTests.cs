using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;
using static AlertPipeline.Core.Tests.Detect.Sigma.SigmaTestRules;

namespace AlertPipeline.Core.Tests.Detect.Sigma;

/// <summary>Rule metadata, log sources, field names and error locations.</summary>
public sealed class SigmaRuleCompilerTests
{
    private const string FullRule = """
        title: Reverse tunnel from a sandbox
        id: 0b7e9c1a-4d2f-4e8a-9b3c-1d2e3f4a5b6c
        status: experimental
        description: ssh with -R
        references:
          - https://example.org/a
        author: tests
        tags:
          - attack.command-and-control
          - attack.t1572
        logsource:
          product: linux
          category: process_creation
        detection:
          selection:
            Image|endswith: '/ssh'
            CommandLine|contains: ' -R '
          filter:
            ParentImage: '/usr/sbin/sshd'
          condition: selection and not filter
        falsepositives:
          - Engineers debugging
        level: critical
        """;

    [Fact]
    public void Compiles_metadata_and_fields()
    {
        var rule = SigmaRuleCompiler.Compile(FullRule);
        Assert.Equal("0b7e9c1a-4d2f-4e8a-9b3c-1d2e3f4a5b6c", rule.Id);
        Assert.Equal("Reverse tunnel from a sandbox", rule.Title);
        Assert.Equal(AlertLevel.Critical, rule.Level);
        Assert.Equal("experimental", rule.Status);
        Assert.Equal("ssh with -R", rule.Description);
        Assert.Equal(["attack.command-and-control", "attack.t1572"], rule.Tags);
        Assert.Equal(["https://example.org/a"], rule.References);
        Assert.Equal(["Engineers debugging"], rule.FalsePositives);
        Assert.Equal(new LogSource("process_creation", "linux", null), rule.LogSource);
        Assert.Equal([EcsField.ProcessExecutable, EcsField.ProcessCommandLine, EcsField.ProcessParentExecutable], rule.Fields);
    }

    [Theory]
    // Sigma taxonomy and ECS names resolve; a Windows field we do not carry and blanks are ignored.
    [InlineData("fields:\n  - User\n  - gpu.uuid\n  - ParentUser\n  - ''\n")]
    // A value that is not a list is ignored, as the key always was.
    [InlineData("fields: User\n")]
    [InlineData("fields:\n  a: b\n")]
    public void Fields_join_the_evidence_without_changing_what_matches(string fields)
    {
        var rule = SigmaRuleCompiler.Compile(FullRule + "\n" + fields);

        EcsField[] expected = fields.Contains("- User", StringComparison.Ordinal)
            ? [EcsField.UserName, EcsField.ProcessExecutable, EcsField.ProcessCommandLine, EcsField.ProcessParentExecutable, EcsField.GpuUuid]
            : [EcsField.ProcessExecutable, EcsField.ProcessCommandLine, EcsField.ProcessParentExecutable];
        Assert.Equal(expected.Order(), rule.Fields);
        Assert.True(rule.Matches([(EcsField.EventCategory, "process"), (EcsField.EventType, "start"),
            (EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "ssh -R 1:h:2 u@h")]));
    }

    [Fact]
    public void Process_creation_logsource_requires_a_process_start()
    {
        var rule = SigmaRuleCompiler.Compile(FullRule);
        (EcsField, string)[] ssh = [(EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "ssh -R 1:h:2 u@h")];
        Assert.True(rule.Matches([(EcsField.EventCategory, "process"), (EcsField.EventType, "start"), .. ssh]));
        Assert.False(rule.Matches([(EcsField.EventCategory, "process"), (EcsField.EventType, "end"), .. ssh]));
        Assert.False(rule.Matches([(EcsField.EventCategory, "network"), (EcsField.EventType, "start"), .. ssh]));
        Assert.False(rule.Matches(ssh));
        Assert.False(rule.Matches([(EcsField.EventCategory, "process"), (EcsField.EventType, "start"), (EcsField.ProcessParentExecutable, "/usr/sbin/sshd"), .. ssh]));
    }

    [Theory]
    [InlineData("  category: network_connection", EcsField.EventCategory, "network", EcsField.EventCategory, "process")]
    [InlineData("  category: firewall", EcsField.ObserverType, "firewall", EcsField.ObserverType, "sensor")]
    [InlineData("  category: dns", EcsField.DnsQuestionName, "pool.example", EcsField.DestinationDomain, "pool.example")]
    [InlineData("  category: dns_query\n  product: linux", EcsField.DnsQuestionName, "pool.example", EcsField.UrlDomain, "pool.example")]
    [InlineData("  product: sandbox\n  category: gpu", EcsField.EventDataset, "gpu.metrics", EcsField.EventDataset, "sandbox.process")]
    [InlineData("  product: sandbox\n  category: tool_call", EcsField.EventDataset, "sandbox.tool_call", EcsField.EventDataset, "gpu.metrics")]
    [InlineData("  product: azure\n  category: network_connection", EcsField.EventCategory, "network", EcsField.EventCategory, "host")]
    public void Logsource_adds_its_predicate(string logsource, EcsField inField, string inValue, EcsField outField, string outValue)
    {
        var rule = Compile("  sel:\n    sandbox.id: rl-1\n  condition: sel", logsource);
        Assert.True(rule.Matches((EcsField.SandboxId, "rl-1"), (inField, inValue)));
        Assert.False(rule.Matches((EcsField.SandboxId, "rl-1"), (outField, outValue)));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("  product: sandbox")]
    public void Logsource_without_category_adds_nothing(string? logsource)
    {
        var rule = Compile("  sel:\n    sandbox.id: rl-1\n  condition: sel", logsource);
        Assert.True(rule.Matches((EcsField.SandboxId, "rl-1")));
    }

    [Theory]
    [InlineData("  product: windows\n  category: process_creation")]
    [InlineData("  product: windows\n  category: registry_event")]
    [InlineData("  category: registry_event")]
    [InlineData("  product: linux\n  service: auditd")]
    [InlineData("  product: linux")]
    [InlineData("  category: gpu")]
    public void Unsupported_logsource_is_an_error_at_the_logsource(string logsource)
    {
        var error = Error(Yaml("  sel:\n    sandbox.id: rl-1\n  condition: sel", logsource));
        Assert.StartsWith("unsupported logsource", error.Problem, StringComparison.Ordinal);
        Assert.Equal(6, error.Line);
        Assert.Equal(Id, error.RuleId);
    }

    [Theory]
    [InlineData("Image", EcsField.ProcessExecutable)]
    [InlineData("commandline", EcsField.ProcessCommandLine)]
    [InlineData("ParentCommandLine", EcsField.ProcessParentCommandLine)]
    [InlineData("User", EcsField.UserName)]
    [InlineData("ProcessId", EcsField.ProcessPid)]
    [InlineData("CurrentDirectory", EcsField.ProcessWorkingDirectory)]
    [InlineData("DestinationHostname", EcsField.DestinationDomain)]
    [InlineData("SourceHostname", EcsField.SourceDomain)]
    [InlineData("Protocol", EcsField.NetworkTransport)]
    [InlineData("QueryName", EcsField.DnsQuestionName)]
    [InlineData("TargetFilename", EcsField.FilePath)]
    [InlineData("Computer", EcsField.HostName)]
    [InlineData("Hostname", EcsField.HostName)]
    [InlineData("dst_ip", EcsField.DestinationIp)]
    [InlineData("dst_port", EcsField.DestinationPort)]
    [InlineData("src_ip", EcsField.SourceIp)]
    [InlineData("src_port", EcsField.SourcePort)]
    [InlineData("action", EcsField.EventAction)]
    [InlineData("destination.ip", EcsField.DestinationIp)]
    [InlineData("sandbox.id", EcsField.SandboxId)]
    [InlineData("gpu.utilization", EcsField.GpuUtilization)]
    public void Field_names_resolve_to_ecs_fields(string name, EcsField field)
    {
        var rule = Compile($"  sel:\n    {name}: 'v'\n  condition: sel");
        Assert.Equal([field], rule.Fields);
        Assert.True(rule.Matches((field, "V")));
        Assert.False(rule.Matches((field, "w")));
    }

    [Fact]
    public void List_of_maps_is_or_and_map_is_and()
    {
        var rule = Compile("  sel:\n    - Image|endswith: '/ssh'\n      CommandLine|contains: ' -R '\n    - Image|endswith: '/chisel'\n  condition: sel");
        Assert.True(rule.Matches((EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "ssh -R 1:h:2 x")));
        Assert.False(rule.Matches((EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "ssh host")));
        Assert.True(rule.Matches((EcsField.ProcessExecutable, "/tmp/chisel")));
        Assert.False(rule.Matches((EcsField.ProcessExecutable, "/usr/bin/scp")));
    }

    [Fact]
    public void Evaluation_does_not_allocate()
    {
        var rule = Compile("""
              sel_glob:
                CommandLine: '*ss? -*R*'
                Image|endswith: '/ssh'
              sel_re:
                CommandLine|re|i: '-[fn]*r\s'
              sel_cidr:
                DestinationIp|cidr: ['10.0.0.0/8', '192.168.0.0/16']
              sel_num:
                gpu.utilization|gte: 90
              sel_ref:
                User|fieldref: sandbox.owner
              sel_time:
                '@timestamp|hour|lt': 6
              keywords:
                - 'stratum+tcp'
              filter:
                sandbox.id: null
              condition: all of sel_* and not keywords and not filter
            """, "  category: process_creation\n  product: linux");
        var batch = Event(
            (EcsField.EventCategory, "process"), (EcsField.EventType, "start"), (EcsField.SandboxId, "rl-1"),
            (EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "ssh -fNR 1:h:2 u@h"),
            (EcsField.DestinationIp, "10.1.2.3"), (EcsField.GpuUtilization, "97.5"), (EcsField.UserName, "A"), (EcsField.SandboxOwner, "a"));
        // Warm up: tiered JIT and the regex engine's lazily built DFA states allocate on first use only.
        for (var i = 0; i < 1000; i++)
        {
            Assert.True(rule.Matches(batch, 0));
        }

        // The least of three runs: the runtime's own bookkeeping (on-stack replacement, tiered re-compilation while the
        // suite runs in parallel) may account some bytes once, while an allocation per evaluation shows in every run.
        var least = long.MaxValue;
        for (var run = 0; run < 3; run++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            var hits = 0;
            for (var i = 0; i < 1000; i++)
            {
                hits += rule.Matches(batch, 0) ? 1 : 0;
            }

            Assert.Equal(1000, hits);
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        // Under one byte per evaluation: nothing is allocated per event.
        Assert.InRange(least, 0, 999);
    }

    [Fact]
    public void Missing_level_defaults_to_medium()
    {
        var rule = SigmaRuleCompiler.Compile($"title: t\nid: {Id}\ndetection:\n  sel:\n    sandbox.id: x\n  condition: sel\n");
        Assert.Equal(AlertLevel.Medium, rule.Level);
    }

    public static TheoryData<string, string, int, int> Errors() => new()
    {
        { $"id: {Id}\ndetection:\n  sel:\n    User: x\n  condition: sel\n", "missing title", 1, 1 },
        { $"title: t\nid: {Id}\nlevel: severe\ndetection:\n  sel:\n    User: x\n  condition: sel\n", "bad level 'severe'; expected informational, low, medium, high or critical", 3, 8 },
        { $"title: t\nid: {Id}\n", "missing detection", 1, 1 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User: x\n", "missing condition", 4, 3 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User: x\n    Registry|contains: y\n  condition: sel\n", "unknown field 'Registry'", 6, 5 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User|sortof: x\n  condition: sel\n", "unknown modifier 'sortof'", 5, 5 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User|expand: '%admins%'\n  condition: sel\n", "placeholder '%admins%' is not configured (set Sigma:Placeholders:admins)", 5, 18 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    CommandLine|re: '(unclosed'\n  condition: sel\n", "invalid regular expression", 5, 21 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    DestinationIp|cidr: 10.0.0.0/33\n  condition: sel\n", "invalid CIDR '10.0.0.0/33'", 5, 25 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    gpu.utilization|gt: high\n  condition: sel\n", "'high' is not a number", 5, 25 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    sandbox.id|exists: maybe\n  condition: sel\n", "exists expects true or false", 5, 24 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User|contains|startswith: x\n  condition: sel\n", "conflicting modifiers in 'User|contains|startswith'", 5, 5 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User|i: x\n  condition: sel\n", "the i, m and s modifiers apply only to re", 5, 5 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n  condition: sel\n", "selection 'sel' is empty", 4, 3 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User:\n      nested: x\n  condition: sel\n", "field values must be strings, numbers or null (not a mapping)", 6, 7 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User: [a, b\n  condition: sel\n", "invalid YAML", 6, 0 },
        { $"title: t\nid: {Id}\ncorrelation:\n  type: event_count\n", "missing correlation.rules", 4, 3 },
        { $"title: t\nid: {Id}\ndetection:\n  sel:\n    User: x\n  condition: sel\n---\ntitle: u\n", "one rule per document", 8, 1 },
        { "title: t\ndetection:\n  sel:\n    User: x\n  condition: sel\n", "missing id", 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Errors_carry_rule_id_line_and_column(string yaml, string problem, int line, int column)
    {
        var error = Error(yaml);
        Assert.StartsWith(problem, error.Problem, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        if (column > 0)
        {
            Assert.Equal(column, error.Column);
        }

        if (!yaml.StartsWith("title: t\ndetection", StringComparison.Ordinal) && !problem.StartsWith("invalid YAML", StringComparison.Ordinal))
        {
            Assert.Equal(Id, error.RuleId);
        }

        Assert.Contains($"line {line}", error.Message, StringComparison.Ordinal);
    }
}
