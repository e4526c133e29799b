namespace AlertPipeline.Core.Enrich;

/// <summary>An address a sandbox held for a period; IPs are reused, so attribution is time-aware.</summary>
/// <param name="Ip">The address as text.</param>
/// <param name="ValidFrom">Start of the lease (inclusive).</param>
/// <param name="ValidTo">End of the lease (exclusive), or null while held.</param>
public sealed record SandboxAddress(string Ip, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo = null);

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
}
