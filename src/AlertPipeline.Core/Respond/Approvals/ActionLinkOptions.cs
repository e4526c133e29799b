namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>Settings of the action links (section <c>Actions</c>); the signing key itself is read by the composition.</summary>
public sealed class ActionLinkOptions
{
    /// <summary>
    /// Public base URL of the function app (e.g. <c>https://func-alertpipe.azurewebsites.net</c>); links point to
    /// <c>{BaseUrl}/api/actions/…</c>. Without it no links are rendered and the card says so.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>How long an Acknowledge link works.</summary>
    public TimeSpan AcknowledgeLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How long Approve and Dismiss links work: shorter, since they decide a shutdown.</summary>
    public TimeSpan ApproveLifetime { get; set; } = TimeSpan.FromHours(2);

    /// <summary>The base URL when it is an absolute http(s) URL, else null.</summary>
    public Uri? BaseUri => Uri.TryCreate(BaseUrl?.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)
        && string.IsNullOrEmpty(uri.UserInfo) ? uri : null;
}
