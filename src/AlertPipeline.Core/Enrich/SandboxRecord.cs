using System.Text.Json.Serialization;

namespace AlertPipeline.Core.Enrich;

/// <summary>An address a sandbox held for a period; IPs are reused, so attribution is time-aware.</summary>
/// <param name="Ip">The address as text.</param>
/// <param name="ValidFrom">Start of the lease (inclusive).</param>
/// <param name="ValidTo">End of the lease (exclusive), or null while held.</param>
public sealed record SandboxAddress(string Ip, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo = null);

/// <summary>What the sandbox's scheduled run is doing during a <see cref="SandboxRunWindow"/>.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RunState>))]
public enum RunState
{
    /// <summary>The run is scheduled to work: its expected processes may use its GPUs.</summary>
    Active,

    /// <summary>The run is marked idle (paused, between episodes, drained): nothing should use the GPUs.</summary>
    Idle,
}

/// <summary>A period in which the sandbox's run is marked active or idle; like address leases, windows are time-aware.</summary>
/// <param name="State">Active or idle.</param>
/// <param name="ValidFrom">Start of the window (inclusive).</param>
/// <param name="ValidTo">End of the window (exclusive), or null while it lasts.</param>
public sealed record SandboxRunWindow(RunState State, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo = null);

/// <summary>One sandbox of the inventory (Table <c>sandboxes</c>).</summary>
public sealed record SandboxRecord
{
    /// <summary>The sandbox id, as sandbox telemetry carries it in <c>sandbox.id</c>.</summary>
    public required string Id { get; init; }

    /// <summary>Owner's name.</summary>
    public string? Owner { get; init; }

    /// <summary>Owner's email; receives the sandbox's alerts.</summary>
    public string? OwnerEmail { get; init; }

    /// <summary>The owning team.</summary>
    public string? Team { get; init; }

    /// <summary>e.g. <c>training</c>, <c>eval</c>, <c>prod</c>.</summary>
    public string? Environment { get; init; }

    /// <summary>A protected sandbox is never shut down automatically.</summary>
    public bool Protected { get; init; }

    /// <summary>The Storage queue its host agent reads commands from (default <c>sandbox-commands</c>).</summary>
    public string? CommandQueue { get; init; }

    /// <summary>Addresses the sandbox held, with validity periods.</summary>
    public IReadOnlyList<SandboxAddress> Addresses { get; init; } = [];

    /// <summary>
    /// Where the sandbox may connect: IPv4 and IPv6 CIDRs (<c>10.0.5.0/24</c>, <c>2001:db8::/32</c>; a bare address is a /32 or /128) and domains
    /// (<c>huggingface.co</c> allows it and its subdomains). Empty: no egress policy is known, nothing is judged.
    /// </summary>
    public IReadOnlyList<string> AllowedEgress { get; init; } = [];

    /// <summary>
    /// GPUs assigned to the sandbox, by UUID (<c>GPU-5e3a…</c>, compared ignoring case) or by index on its host
    /// (<c>"2"</c>). Empty: assignment is not judged.
    /// </summary>
    public IReadOnlyList<string> Gpus { get; init; } = [];

    /// <summary>Process names the sandbox's job runs on its GPUs (e.g. <c>python3</c>, <c>torchrun</c>). Empty: processes are not judged.</summary>
    public IReadOnlyList<string> GpuProcesses { get; init; } = [];

    /// <summary>When the sandbox's run is marked active or idle. Empty: the schedule is not judged.</summary>
    public IReadOnlyList<SandboxRunWindow> Schedule { get; init; } = [];
}
