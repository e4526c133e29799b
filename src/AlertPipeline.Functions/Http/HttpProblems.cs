using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using AlertPipeline.Core.Detect.Management;
using AlertPipeline.Core.Respond;
using Microsoft.Azure.Functions.Worker.Http;

namespace AlertPipeline.Functions.Http;

/// <summary>One entry of a validation problem's <c>errors</c> array.</summary>
/// <param name="RuleId">The rule's id, if it could be read.</param>
/// <param name="Line">1-based line, or 0.</param>
/// <param name="Column">1-based column, or 0.</param>
/// <param name="Message">What is wrong.</param>
public sealed record ProblemError(string? RuleId, int Line, int Column, string Message);

/// <summary>An RFC 9457 problem document (<c>application/problem+json</c>).</summary>
/// <param name="Type">A URI naming the kind of problem (<c>urn:alertpipeline:problem:…</c>).</param>
/// <param name="Title">A short summary of the kind.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">This occurrence, cleaned for display.</param>
/// <param name="Errors">For an invalid rule: where and what.</param>
public sealed record Problem(
    string Type,
    string Title,
    int Status,
    string Detail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ProblemError>? Errors = null);

/// <summary>
/// Reading requests and writing responses for the HTTP functions: bounded bodies, JSON and problem documents, the
/// caller's name for the history. Every value that came from a request is cleaned before it is echoed.
/// </summary>
public static class HttpProblems
{
    /// <summary>Header App Service authentication sets to the signed-in principal's name.</summary>
    public const string PrincipalHeader = "x-ms-client-principal-name";

    /// <summary>Who a caller is recorded as when App Service authentication named no one (a function or admin key).</summary>
    public const string KeyCaller = "function-key";

    /// <summary>The JSON settings of every response: camelCase names, enums as their text where mapped explicitly.</summary>
    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web) { WriteIndented = false };

    /// <summary>
    /// The name to record for the caller. It is whatever the header says: with App Service authentication on, the
    /// platform sets it; without, a key holder could send anything. So it labels history entries and is never used to
    /// decide anything.
    /// </summary>
    public static string Who(HttpRequestData request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = Header(request, PrincipalHeader);
        return string.IsNullOrWhiteSpace(name) ? KeyCaller : SafeText.Clean(name.Trim(), 128);
    }

    /// <summary>The header's values joined by commas, or null when absent.</summary>
    public static string? Header(HttpRequestData request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        return request.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
    }

    /// <summary>
    /// The body, or null when it is longer than <paramref name="maxBytes"/> (read no further than that, so a large body
    /// costs at most the cap).
    /// </summary>
    public static async Task<byte[]?> ReadBodyAsync(HttpRequestData request, int maxBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>A JSON response, written with <see cref="Json"/> unless <paramref name="options"/> says otherwise (e.g. <c>AlertJson.Options</c>).</summary>
    public static Task<HttpResponseData> JsonAsync<T>(
        HttpRequestData request, HttpStatusCode status, T body, CancellationToken cancellationToken, string? etag = null, JsonSerializerOptions? options = null)
        => WriteAsync(request, status, "application/json; charset=utf-8", body, etag, cancellationToken, options);

    /// <summary>A problem response.</summary>
    public static Task<HttpResponseData> ProblemAsync(
        HttpRequestData request, HttpStatusCode status, string type, string title, string detail, CancellationToken cancellationToken, IReadOnlyList<ProblemError>? errors = null)
        => WriteAsync(request, status, "application/problem+json; charset=utf-8",
            new Problem($"urn:alertpipeline:problem:{type}", title, (int)status, SafeText.Clean(detail), errors), null, cancellationToken);

    /// <summary>The 422 for a rule that does not compile, with every problem located.</summary>
    public static Task<HttpResponseData> InvalidRuleAsync(HttpRequestData request, IReadOnlyList<RuleProblem> problems, CancellationToken cancellationToken)
        => ProblemAsync(request, HttpStatusCode.UnprocessableEntity, "invalid-rule", "The rule is not valid",
            problems.Count == 1 ? problems[0].Message : $"{problems.Count} problems", cancellationToken,
            [.. problems.Select(p => new ProblemError(p.RuleId is null ? null : SafeText.Clean(p.RuleId, 128), p.Line, p.Column, SafeText.Clean(p.Message)))]);

    /// <summary>The 413 for a body over the cap.</summary>
    public static Task<HttpResponseData> TooLargeAsync(HttpRequestData request, int maxBytes, CancellationToken cancellationToken)
        => ProblemAsync(request, HttpStatusCode.RequestEntityTooLarge, "body-too-large", "The request body is too large",
            $"at most {maxBytes} bytes are accepted", cancellationToken);

    /// <summary>A 400 for a request that cannot be understood.</summary>
    public static Task<HttpResponseData> BadRequestAsync(HttpRequestData request, string detail, CancellationToken cancellationToken)
        => ProblemAsync(request, HttpStatusCode.BadRequest, "bad-request", "The request is not valid", detail, cancellationToken);

    /// <summary>A 404 for a rule that does not exist.</summary>
    public static Task<HttpResponseData> NotFoundAsync(HttpRequestData request, string pack, string id, CancellationToken cancellationToken)
        => ProblemAsync(request, HttpStatusCode.NotFound, "rule-not-found", "No such rule", $"rule {pack}/{id} does not exist", cancellationToken);

    private static async Task<HttpResponseData> WriteAsync<T>(
        HttpRequestData request, HttpStatusCode status, string contentType, T body, string? etag, CancellationToken cancellationToken, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var response = request.CreateResponse(status);
        response.Headers.TryAddWithoutValidation("Content-Type", contentType);

        // Answers carry rule text and history: a shared cache must not keep them.
        response.Headers.TryAddWithoutValidation("Cache-Control", "no-store");
        if (etag is not null)
        {
            response.Headers.TryAddWithoutValidation("ETag", etag);
        }

        await JsonSerializer.SerializeAsync(response.Body, body, options ?? Json, cancellationToken).ConfigureAwait(false);
        return response;
    }
}
