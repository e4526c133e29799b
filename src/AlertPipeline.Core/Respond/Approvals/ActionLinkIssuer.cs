namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>One link a notification shows: its button text and URL.</summary>
/// <param name="Action">What the link does.</param>
/// <param name="Title">The button text (fixed text, never telemetry).</param>
/// <param name="Url">The signed URL of the confirmation page.</param>
public sealed record RenderedActionLink(AlertAction Action, string Title, Uri Url);

/// <summary>The links of one notification, or why there are none.</summary>
/// <param name="Links">Acknowledge, then Approve and Dismiss when the alert's shutdown awaits approval.</param>
/// <param name="Notice">When links are off: a fixed sentence saying why, shown on the card and in the email.</param>
public sealed record ActionLinkSet(IReadOnlyList<RenderedActionLink> Links, string? Notice)
{
    /// <summary>The set of a deployment without <c>Actions__BaseUrl</c> or <c>Actions__SigningKey</c>.</summary>
    public static ActionLinkSet NotConfigured { get; } = new([], "Action links are off: Actions__BaseUrl and Actions__SigningKey are not set on this deployment.");
}

/// <summary>
/// Makes the signed links a notification carries: Acknowledge for every alert, and Approve shutdown / Dismiss when
/// the alert's <c>shutdown</c> action is <see cref="ActionStatus.AwaitingApproval"/>. Each link gets its own nonce,
/// so using one does not spend the others.
/// </summary>
public sealed class ActionLinkIssuer(ActionLinkSigner? signer, ActionLinkOptions options)
{
    /// <summary>True when links can be made (a signing key and a base URL are configured).</summary>
    public bool IsConfigured => signer is not null && options.BaseUri is not null;

    /// <summary>The links for <paramref name="alert"/> as sent to <paramref name="recipient"/>.</summary>
    public ActionLinkSet For(Alert alert, string? recipient)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (signer is null || options.BaseUri is not { } baseUri)
        {
            return ActionLinkSet.NotConfigured;
        }

        var links = new List<RenderedActionLink>(3);
        if (alert.Status == AlertStatus.Open)
        {
            links.Add(Link(AlertAction.Acknowledge, "Acknowledge", options.AcknowledgeLifetime));
        }

        if (alert.ActionFor("shutdown")?.Status == ActionStatus.AwaitingApproval && alert.Status != AlertStatus.Dismissed)
        {
            links.Add(Link(AlertAction.Approve, "Approve shutdown", options.ApproveLifetime));
            links.Add(Link(AlertAction.Dismiss, "Dismiss", options.ApproveLifetime));
        }

        return new ActionLinkSet(links, null);

        RenderedActionLink Link(AlertAction action, string title, TimeSpan lifetime)
            => new(action, title, signer.Sign(alert.AlertId, action, lifetime, recipient).ToUri(baseUri));
    }
}
