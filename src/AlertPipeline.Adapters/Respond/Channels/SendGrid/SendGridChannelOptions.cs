namespace AlertPipeline.Adapters.Respond.Channels.SendGrid;

/// <summary>
/// Settings of the email channel, section <c>Channels:Email</c> (app settings <c>Channels__Email__ApiKey</c>, …).
/// The API key is a secret: in Azure it is a Key Vault reference, never a literal in code or in a checked-in file.
/// </summary>
public sealed class SendGridChannelOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Channels:Email";

    /// <summary>SendGrid API key with the Mail Send permission only.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Sender address; must be a verified SendGrid sender identity.</summary>
    public string? From { get; set; }

    /// <summary>Sender display name.</summary>
    public string? FromName { get; set; } = "AlertPipeline";

    /// <summary>Recipients, comma- or semicolon-separated.</summary>
    public string? To { get; set; }

    /// <summary>API base URL override (tests point it at a local mock); SendGrid's default when empty.</summary>
    public string? Host { get; set; }

    /// <summary>Base URL of the runbooks; the alert links to <c>{RunbookBaseUrl}/{ruleId}</c>. Optional.</summary>
    public string? RunbookBaseUrl { get; set; }

    /// <summary>A SendGrid dynamic template id; when set the template renders the mail from template data. Optional.</summary>
    public string? TemplateId { get; set; }

    /// <summary>How long one send may take before it counts as failed.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The recipients parsed from <see cref="To"/>, trimmed, without duplicates (case-insensitive).</summary>
    public IReadOnlyList<string> Recipients()
        => string.IsNullOrWhiteSpace(To)
            ? []
            : To.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();

    /// <summary>True when a key, a sender and at least one recipient are set.</summary>
    public bool IsConfigured
        => !string.IsNullOrWhiteSpace(ApiKey) && !string.IsNullOrWhiteSpace(From) && Recipients().Count > 0;
}
