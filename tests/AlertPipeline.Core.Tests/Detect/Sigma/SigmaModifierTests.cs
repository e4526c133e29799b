using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;
using static AlertPipeline.Core.Tests.Detect.Sigma.SigmaTestRules;

namespace AlertPipeline.Core.Tests.Detect.Sigma;

/// <summary>Value modifiers and plain-value semantics, each matching and not matching.</summary>
public sealed class SigmaModifierTests
{
    private static bool Cmd(string selection, string commandLine)
        => Compile($"  sel:\n    {selection}\n  condition: sel").Matches((EcsField.ProcessCommandLine, commandLine));

    [Theory]
    [InlineData("CommandLine: 'ssh -R 9000'", "SSH -r 9000", true)]
    [InlineData("CommandLine: 'ssh -R 9000'", "ssh -R 9000 x", false)]
    [InlineData("CommandLine|contains: '-R 9000'", "ssh -r 9000:localhost:22 x", true)]
    [InlineData("CommandLine|contains: '-R 9001'", "ssh -R 9000:localhost:22 x", false)]
    [InlineData("CommandLine|startswith: 'SSH '", "ssh -R 9000", true)]
    [InlineData("CommandLine|startswith: 'scp '", "ssh -R 9000", false)]
    [InlineData("CommandLine|endswith: 'USER@HOST'", "ssh -R 9000 user@host", true)]
    [InlineData("CommandLine|endswith: 'user@hos'", "ssh -R 9000 user@host", false)]
    public void Contains_startswith_endswith_and_plain_values_are_case_insensitive(string selection, string value, bool expected)
        => Assert.Equal(expected, Cmd(selection, value));

    [Theory]
    [InlineData("CommandLine|cased: 'ssh -R'", "ssh -R", true)]
    [InlineData("CommandLine|cased: 'ssh -R'", "ssh -r", false)]
    [InlineData("CommandLine|contains|cased: '-R '", "ssh -R 1:h:2", true)]
    [InlineData("CommandLine|contains|cased: '-R '", "cp -r a b", false)]
    public void Cased_compares_case_sensitively(string selection, string value, bool expected)
        => Assert.Equal(expected, Cmd(selection, value));

    [Theory]
    [InlineData("CommandLine|contains|all: ['-f', '-N', '-R']", "ssh -f -N -R 1:h:2 u@h", true)]
    [InlineData("CommandLine|contains|all: ['-f', '-N', '-R']", "ssh -f -N u@h", false)]
    [InlineData("CommandLine|contains: ['-X', '-R']", "ssh -R 1:h:2", true)]
    [InlineData("CommandLine|contains: ['-X', '-Y']", "ssh -R 1:h:2", false)]
    public void Lists_are_or_unless_all(string selection, string value, bool expected)
        => Assert.Equal(expected, Cmd(selection, value));

    [Theory]
    [InlineData("CommandLine: 'ssh*22'", "ssh -R 9000:localhost:22", true)]
    [InlineData("CommandLine: 'ssh*22'", "ssh -R 9000:localhost:2222 x", false)]
    [InlineData("CommandLine: 'ss? -R*'", "ssX -R 1", true)]
    [InlineData("CommandLine: 'ss? -R*'", "ss -R 1", false)]
    [InlineData("CommandLine: '*'", "", true)]
    [InlineData("CommandLine: 'a*b*c'", "a--b--c", true)]
    [InlineData("CommandLine: 'a*b*c'", "a--c--b", false)]
    [InlineData("CommandLine: 'ab*bc'", "abc", false)]
    [InlineData(@"CommandLine: 'run\*now'", "run*now", true)]
    [InlineData(@"CommandLine: 'run\*now'", "run-now", false)]
    [InlineData(@"CommandLine: 'why\?'", "why?", true)]
    [InlineData(@"CommandLine: 'why\?'", "whyX", false)]
    [InlineData(@"CommandLine: 'C:\Tools\x'", @"c:\tools\x", true)]
    [InlineData(@"CommandLine: 'C:\\Tools'", @"C:\Tools", true)]
    [InlineData(@"CommandLine: 'dir\\*'", @"dir\anything", true)]
    [InlineData(@"CommandLine: 'dir\\\*'", @"dir\*", true)]
    [InlineData(@"CommandLine: 'dir\\\*'", @"dir\x", false)]
    public void Wildcards_and_escapes(string selection, string value, bool expected)
        => Assert.Equal(expected, Cmd(selection, value));

    [Fact]
    public void Null_matches_an_absent_field_and_empty_string_a_present_empty_one()
    {
        var isNull = Compile("  sel:\n    User: null\n  condition: sel");
        Assert.True(isNull.Matches((EcsField.ProcessCommandLine, "x")));
        Assert.False(isNull.Matches((EcsField.UserName, "")));
        Assert.False(isNull.Matches((EcsField.UserName, "root")));

        var isEmpty = Compile("  sel:\n    User: ''\n  condition: sel");
        Assert.True(isEmpty.Matches((EcsField.UserName, "")));
        Assert.False(isEmpty.Matches((EcsField.UserName, "root")));
        Assert.False(isEmpty.Matches((EcsField.ProcessCommandLine, "x")));
    }

    [Fact]
    public void Yaml_numbers_compare_as_strings()
    {
        var rule = Compile("  sel:\n    DestinationPort: 3333\n  condition: sel");
        Assert.True(rule.Matches((EcsField.DestinationPort, "3333")));
        Assert.False(rule.Matches((EcsField.DestinationPort, "33333")));
        Assert.False(rule.Matches((EcsField.SourcePort, "3333")));
    }

    [Theory]
    [InlineData("CommandLine|re: '-[fN]*R\\s'", "ssh -fNR 1:h:2", true)]
    [InlineData("CommandLine|re: '-[fN]*R\\s'", "ssh -fnr 1:h:2", false)]
    [InlineData("CommandLine|re|i: '-[fN]*R\\s'", "ssh -fnr 1:h:2", true)]
    [InlineData("CommandLine|re: '^b$'", "a\nb\nc", false)]
    [InlineData("CommandLine|re|m: '^b$'", "a\nb\nc", true)]
    [InlineData("CommandLine|re: 'a.c'", "a\nc", false)]
    [InlineData("CommandLine|re|s: 'a.c'", "a\nc", true)]
    [InlineData("CommandLine|re|all: ['ssh', '-R']", "ssh -R x", true)]
    [InlineData("CommandLine|re|all: ['ssh', '-D']", "ssh -R x", false)]
    public void Regex_is_case_sensitive_unless_i_and_honours_m_and_s(string selection, string value, bool expected)
        => Assert.Equal(expected, Cmd(selection, value));

    [Fact]
    public void Regex_with_catastrophic_backtracking_pattern_runs_in_linear_time()
    {
        var rule = Compile("  sel:\n    CommandLine|re: '^(a+)+$'\n  condition: sel");
        Assert.True(((RegexTest)((FieldValueMatcher)rule.Matcher).Tests[0]).Regex.Options.HasFlag(System.Text.RegularExpressions.RegexOptions.NonBacktracking));
        Assert.False(rule.Matches((EcsField.ProcessCommandLine, new string('a', 50_000) + "b")));
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, new string('a', 50_000))));
    }

    [Fact]
    public void Regex_with_backreference_or_lookahead_falls_back_to_backtracking()
    {
        var backref = Compile("  sel:\n    CommandLine|re: '(\\w+) \\1'\n  condition: sel");
        Assert.True(backref.Matches((EcsField.ProcessCommandLine, "echo echo")));
        Assert.False(backref.Matches((EcsField.ProcessCommandLine, "echo ping")));

        var lookahead = Compile("  sel:\n    CommandLine|re: 'ssh(?!-keygen)'\n  condition: sel");
        Assert.True(lookahead.Matches((EcsField.ProcessCommandLine, "ssh -R 1")));
        Assert.False(lookahead.Matches((EcsField.ProcessCommandLine, "ssh-keygen -t ed25519")));
    }

    [Fact]
    public void Backtracking_regex_timeout_is_no_match_not_an_exception()
    {
        // A lookahead forces the backtracking engine; the nested quantifier then exceeds the 100 ms budget.
        var rule = Compile("  sel:\n    CommandLine|re: '^(?=x*)(a|aa)+$'\n  condition: sel");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.False(rule.Matches((EcsField.ProcessCommandLine, new string('a', 5_000) + "!")));

        // Unbounded, this match is exponential in the input (it would not finish); the budget ends it. The bound is
        // loose because the test machine may be busy; it still fails if the timeout is lost.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("10.0.0.0/8", "10.40.3.3", true)]
    [InlineData("10.0.0.0/8", "11.0.0.1", false)]
    [InlineData("169.254.169.254/32", "169.254.169.254", true)]
    [InlineData("192.168.0.0/16", "not-an-ip", false)]
    [InlineData("192.168.0.0/16", "192.168.1", false)]
    [InlineData("0.0.0.0/0", "203.0.113.5", true)]
    [InlineData("fd00:ec2::/64", "fd00:ec2::254", true)]
    [InlineData("fd00:ec2::/64", "fd00:ec3::254", false)]
    [InlineData("fd00:ec2::/64", "10.0.0.1", false)]
    [InlineData("10.0.0.0/8", "fd00:ec2::254", false)]
    public void Cidr_matches_ipv4_and_ipv6(string cidr, string ip, bool expected)
    {
        var rule = Compile($"  sel:\n    DestinationIp|cidr: '{cidr}'\n  condition: sel");
        Assert.Equal(expected, rule.Matches((EcsField.DestinationIp, ip)));
    }

    [Theory]
    [InlineData("gt", "90", "95.5", true)]
    [InlineData("gt", "90", "90", false)]
    [InlineData("gte", "90", "90", true)]
    [InlineData("gte", "90", "89.9", false)]
    [InlineData("lt", "10", "9", true)]
    [InlineData("lt", "10", "10", false)]
    [InlineData("lte", "10", "10", true)]
    [InlineData("lte", "10", "10.1", false)]
    [InlineData("gt", "90", "busy", false)]
    public void Numeric_comparisons(string op, string operand, string value, bool expected)
    {
        var rule = Compile($"  sel:\n    gpu.utilization|{op}: {operand}\n  condition: sel");
        Assert.Equal(expected, rule.Matches((EcsField.GpuUtilization, value)));
    }

    [Fact]
    public void Exists_true_and_false()
    {
        var present = Compile("  sel:\n    sandbox.id|exists: true\n  condition: sel");
        Assert.True(present.Matches((EcsField.SandboxId, "")));
        Assert.False(present.Matches((EcsField.HostName, "h")));

        var absent = Compile("  sel:\n    sandbox.id|exists: false\n  condition: sel");
        Assert.False(absent.Matches((EcsField.SandboxId, "rl-1")));
        Assert.True(absent.Matches((EcsField.HostName, "h")));
    }

    [Fact]
    public void Base64_and_base64offset()
    {
        // "ssh -R" in base64 is c3NoIC1S.
        var plain = Compile("  sel:\n    CommandLine|base64|contains: 'ssh -R'\n  condition: sel");
        Assert.True(plain.Matches((EcsField.ProcessCommandLine, "echo c3NoIC1S | base64 -d")));
        Assert.False(plain.Matches((EcsField.ProcessCommandLine, "echo C3NOic1s | base64 -d")));

        var offset = Compile("  sel:\n    CommandLine|base64offset|contains: 'xmrig'\n  condition: sel");
        foreach (var prefix in new[] { "", "a", "ab" })
        {
            var encoded = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(prefix + "xmrig --donate"));
            Assert.True(offset.Matches((EcsField.ProcessCommandLine, "sh -c \"echo " + encoded + " | base64 -d | sh\"")), prefix);
        }

        Assert.False(offset.Matches((EcsField.ProcessCommandLine, "echo " + Convert.ToBase64String("python3 train.py"u8.ToArray()))));
    }

    [Fact]
    public void Windash_accepts_every_dash_spelling_of_a_flag()
    {
        var rule = Compile("  sel:\n    CommandLine|windash|contains: ' -enc '\n  condition: sel");
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, "pwsh -enc AAA")));
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, "pwsh /enc AAA")));
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, "pwsh \u2013enc AAA")));
        Assert.False(rule.Matches((EcsField.ProcessCommandLine, "pwsh +enc AAA")));
    }

    [Fact]
    public void Fieldref_compares_two_fields()
    {
        var rule = Compile("  sel:\n    User|fieldref: sandbox.owner\n  condition: sel");
        Assert.True(rule.Matches((EcsField.UserName, "Alice"), (EcsField.SandboxOwner, "alice")));
        Assert.False(rule.Matches((EcsField.UserName, "bob"), (EcsField.SandboxOwner, "alice")));
        Assert.False(rule.Matches((EcsField.UserName, "bob")));
    }

    [Fact]
    public void Neq_means_different_from_every_value()
    {
        var rule = Compile("  sel:\n    event.action|neq: ['allow', 'log']\n  condition: sel");
        Assert.True(rule.Matches((EcsField.EventAction, "deny")));
        Assert.False(rule.Matches((EcsField.EventAction, "Allow")));
        Assert.False(rule.Matches((EcsField.EventAction, "log")));
    }

    [Fact]
    public void Keywords_match_any_field_containing_them()
    {
        var any = Compile("  keywords:\n    - 'stratum+tcp'\n    - 'xmrig'\n  condition: keywords");
        Assert.True(any.Matches((EcsField.ToolInput, "run ./XMRIG now")));
        Assert.True(any.Matches((EcsField.Message, "pool stratum+tcp://p:3333")));
        Assert.False(any.Matches((EcsField.ProcessCommandLine, "python3 train.py")));

        var all = Compile("  keywords:\n    '|all':\n      - 'ssh'\n      - '-R'\n  condition: keywords");
        Assert.True(all.Matches((EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "x -R 1")));
        Assert.False(all.Matches((EcsField.ProcessExecutable, "/usr/bin/ssh"), (EcsField.ProcessCommandLine, "x -D 1")));
    }

    [Fact]
    public void Keywords_with_cased_compare_case_sensitively()
    {
        var rule = Compile("  keywords:\n    '|cased':\n      - 'XMRig'\n  condition: keywords");
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, "./XMRig -o pool")));
        Assert.False(rule.Matches((EcsField.ProcessCommandLine, "./xmrig -o pool")));
    }

    [Theory]
    [InlineData("process.parent.executable|endswith: '/sshd'", EcsField.ProcessParentExecutable, "/usr/sbin/sshd", true)]
    [InlineData("process.parent.executable|endswith: '/sshd'", EcsField.ProcessExecutable, "/usr/sbin/sshd", false)]
    [InlineData("destination.address_class: metadata", EcsField.DestinationAddressClass, "metadata", true)]
    [InlineData("dns.question.name|endswith: '.pool.example'", EcsField.DnsQuestionName, "eu.pool.example", true)]
    public void Nested_ecs_paths_address_their_own_field(string selection, EcsField field, string value, bool expected)
        => Assert.Equal(expected, Compile($"  sel:\n    {selection}\n  condition: sel").Matches((field, value)));

    [Fact]
    public void Exists_true_matches_an_empty_value_and_null_does_not()
    {
        var exists = Compile("  sel:\n    User|exists: true\n  condition: sel");
        var isNull = Compile("  sel:\n    User: null\n  condition: sel");
        Assert.True(exists.Matches((EcsField.UserName, "")));
        Assert.False(isNull.Matches((EcsField.UserName, "")));
        Assert.True(isNull.Matches((EcsField.HostName, "h")));
    }

    [Fact]
    public void Utf16le_base64offset_finds_a_wide_string()
    {
        var rule = Compile("  sel:\n    CommandLine|wide|base64offset|contains: 'curl'\n  condition: sel");
        var encoded = Convert.ToBase64String(System.Text.Encoding.Unicode.GetBytes("x=curl http://h"));
        Assert.True(rule.Matches((EcsField.ProcessCommandLine, "pwsh -enc " + encoded)));
        Assert.False(rule.Matches((EcsField.ProcessCommandLine, "pwsh -enc " + Convert.ToBase64String("x=curl http://h"u8.ToArray()))));
    }

    [Fact]
    public void Fieldref_with_startswith_and_neq()
    {
        var starts = Compile("  sel:\n    CommandLine|fieldref|startswith: Image\n  condition: sel");
        Assert.True(starts.Matches((EcsField.ProcessCommandLine, "/usr/bin/ssh -R 1"), (EcsField.ProcessExecutable, "/usr/bin/ssh")));
        Assert.False(starts.Matches((EcsField.ProcessCommandLine, "sh -c ssh"), (EcsField.ProcessExecutable, "/usr/bin/ssh")));

        var differs = Compile("  sel:\n    User|fieldref|neq: sandbox.owner\n  condition: sel");
        Assert.True(differs.Matches((EcsField.UserName, "mallory"), (EcsField.SandboxOwner, "alice")));
        Assert.False(differs.Matches((EcsField.UserName, "alice"), (EcsField.SandboxOwner, "alice")));
    }

    private static readonly SigmaPlaceholders Placeholders = new(new Dictionary<string, IReadOnlyList<string>>
    {
        ["admins"] = ["root", "ubuntu"],
        ["pools"] = ["*.pool.example", "stratum.*"],
        ["ports"] = ["22", "2222"],
    });

    private static CompiledRule Expand(string selection)
        => SigmaRuleCompiler.Compile(Yaml($"  sel:\n    {selection}\n  condition: sel"), Placeholders);

    [Fact]
    public void Expand_replaces_a_placeholder_by_each_configured_value()
    {
        var rule = Expand("User|expand: '%admins%'");
        Assert.True(rule.Matches((EcsField.UserName, "root")));
        Assert.True(rule.Matches((EcsField.UserName, "Ubuntu")));
        Assert.False(rule.Matches((EcsField.UserName, "alice")));
        Assert.False(rule.Matches((EcsField.UserName, "%admins%")));
    }

    [Fact]
    public void Expand_values_are_sigma_patterns_and_combine_with_other_modifiers()
    {
        var pools = Expand("dns.question.name|expand: '%pools%'");
        Assert.True(pools.Matches((EcsField.DnsQuestionName, "eu.pool.example")));
        Assert.True(pools.Matches((EcsField.DnsQuestionName, "stratum.x")));
        Assert.False(pools.Matches((EcsField.DnsQuestionName, "example.org")));

        var inside = Expand("CommandLine|expand|contains: 'ssh -p %ports% %admins%@'");
        Assert.True(inside.Matches((EcsField.ProcessCommandLine, "x ssh -p 2222 ubuntu@10.0.0.1")));
        Assert.True(inside.Matches((EcsField.ProcessCommandLine, "ssh -p 22 root@h")));
        Assert.False(inside.Matches((EcsField.ProcessCommandLine, "ssh -p 23 root@h")));
    }

    [Fact]
    public void Expand_leaves_an_escaped_percent_and_plain_values_alone()
    {
        var escaped = Expand(@"CommandLine|expand: '\%plain%admins%'");
        Assert.True(escaped.Matches((EcsField.ProcessCommandLine, "%plainroot")));
        Assert.False(escaped.Matches((EcsField.ProcessCommandLine, @"\%plainroot")));

        // Without expand a placeholder is literal text.
        var literal = Expand("User: '%admins%'");
        Assert.True(literal.Matches((EcsField.UserName, "%admins%")));
        Assert.False(literal.Matches((EcsField.UserName, "root")));
    }

    [Fact]
    public void Expand_with_an_unconfigured_placeholder_is_an_error_naming_it()
    {
        var error = Assert.Throws<RuleCompileException>(() => Expand("User|expand: '%operators%'"));
        Assert.Equal("placeholder '%operators%' is not configured (set Sigma:Placeholders:operators)", error.Problem);
        Assert.Equal(7, error.Line);

        // Without a table nothing is configured.
        Assert.Contains("'%admins%' is not configured", Error(Yaml("  sel:\n    User|expand: '%admins%'\n  condition: sel")).Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("minute", "20", true)]
    [InlineData("minute", "21", false)]
    [InlineData("hour", "3", true)]
    [InlineData("hour", "[1, 2, 3]", true)]
    [InlineData("hour", "15", false)]
    [InlineData("hour|gte", "22", false)]
    [InlineData("hour|lt", "6", true)]
    [InlineData("day", "14", true)]
    [InlineData("week", "46", true)]
    [InlineData("week", "45", false)]
    [InlineData("month", "11", true)]
    [InlineData("month|gt", "11", false)]
    [InlineData("year", "2025", true)]
    [InlineData("year|lte", "2024", false)]
    public void Time_modifiers_compare_a_part_of_a_date(string modifiers, string value, bool expected)
    {
        // The test event's @timestamp is 2025-11-14T03:20:00Z (a Friday of ISO week 46).
        var rule = Compile($"  sel:\n    '@timestamp|{modifiers}': {value}\n  condition: sel");
        Assert.Equal(expected, rule.Matches((EcsField.HostName, "h")));
    }

    [Theory]
    [InlineData("2025-11-14T23:30:00+02:00", true)]
    [InlineData("2025-11-14 21:59:59", true)]
    [InlineData("2025-11-14T22:00:00Z", false)]
    [InlineData("yesterday", false)]
    public void Time_modifiers_read_offsets_as_utc_and_ignore_non_dates(string value, bool expected)
    {
        var rule = Compile("  sel:\n    '@timestamp|hour': 21\n  condition: sel");
        Assert.Equal(expected, rule.Matches((EcsField.Timestamp, value)));
    }

    [Theory]
    [InlineData("'@timestamp|hour': late", "'late' is not a whole number")]
    [InlineData("'@timestamp|hour|minute': 3", "conflicting modifiers")]
    [InlineData("'@timestamp|hour|re': 3", "conflicting modifiers")]
    [InlineData("'@timestamp|hour|contains': 3", "string modifiers do not apply")]
    [InlineData("'User|expand|re': '%admins%'", "string modifiers do not apply")]
    public void Bad_time_and_expand_combinations_are_errors(string selection, string problem)
        => Assert.StartsWith(problem, Error(Yaml($"  sel:\n    {selection}\n  condition: sel")).Problem, StringComparison.Ordinal);
}
