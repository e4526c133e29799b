using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Adapters.Tests.Respond.Channels;

/// <summary>Alerts the channel tests render and send: one fixed and ordinary, one built to break renderers.</summary>
internal static class ChannelTestAlerts
{
    /// <summary>The alert behind the golden files; change it only together with them.</summary>
    public static Alert Fixed() => new()
    {
        AlertId = "5f0c3e9a7b21d4e8",
        RuleId = "net-cloud-metadata",
        RulePack = "default",
        Title = "Sandbox reached the cloud metadata endpoint",
        Level = AlertLevel.Critical,
        Tags = ["attack.t1552.005", "attack.credential_access"],
        References =
        [
            "https://attack.mitre.org/techniques/T1552/005/",
            "javascript:alert(1)",
            "internal wiki: sandbox egress policy",
        ],
        Description = "A process in the sandbox connected to 169.254.169.254 & asked for instance credentials.",
        SandboxId = "sbx-gpu-042",
        Mode = RuleMode.Enforce,
        FirstSeen = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero),
        LastSeen = new DateTimeOffset(2025, 3, 14, 11, 31, 2, TimeSpan.FromHours(2)),
        EventCount = 7,
        Evidence = new(StringComparer.Ordinal)
        {
            ["process.command_line"] = "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/ -H 'X: <1>'",
            ["destination.ip"] = "169.254.169.254",
            ["user.name"] = "agent",
        },
    };

    /// <summary>Every attacker-controlled field filled with something a careless renderer would pass through.</summary>
    public static Alert Hostile()
    {
        var alert = Fixed();
        alert.Title = "<script>alert(1)</script>\r\nBcc: victim@example.com [click](http://evil.example) " + new string('T', 500);
        alert.Description = "<a href=\"http://evil.example\">login</a> **urgent** ![x](http://evil.example/p.png)";
        alert.Tags = ["attack.t1059", "[tag](http://evil.example)"];
        alert.References =
        [
            "javascript:alert(document.cookie)",
            "https://bank.example@evil.example/",
            "data:text/html,<script>alert(1)</script>",
            "https://ok.example/path?a=1&b=\"><img/src=x/onerror=alert(1)>",
        ];
        alert.Evidence = new(StringComparer.Ordinal)
        {
            ["\"><img src=x onerror=alert(1)>"] = "\"><img src=x onerror=alert(1)>",
            ["process.command_line"] = "powershell -enc " + new string('A', 100 * 1024),
            ["link"] = "[click](http://evil.example)",
            ["bidi"] = "invoice\u202Egpj.exe",
        };
        return alert;
    }

    /// <summary>A loopback port nothing listens on: bound, then released.</summary>
    public static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}

/// <summary>Golden files beside the tests, copied to the output folder.</summary>
internal static class Golden
{
    /// <summary>Set to 1 to rewrite the golden files in the source tree from the current output.</summary>
    public const string UpdateVariable = "ALERTPIPELINE_UPDATE_GOLDEN";

    /// <summary>The golden text of <paramref name="name"/> (line endings normalised), after an optional update.</summary>
    public static string Read(string name, string actual, [CallerFilePath] string callerPath = "")
    {
        var folder = Path.GetFileName(Path.GetDirectoryName(callerPath))!;
        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            File.WriteAllText(Path.Combine(Path.GetDirectoryName(callerPath)!, name), actual);
            return actual;
        }

        var path = Path.Combine(AppContext.BaseDirectory, "Respond", "Channels", folder, name);
        return File.ReadAllText(path).Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
