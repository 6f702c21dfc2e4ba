using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;

namespace Shadow.Gateway.Hosting;

/// <summary>
/// Applies an endpoint's <see cref="IRequestSizeLimitMetadata"/> before its body is read: a declared length over the limit
/// answers 413 at once, and the server's own limit is lowered for bodies sent without a length.
/// </summary>
internal static class RequestBodyLimits
{
    public static IApplicationBuilder UseRequestBodyLimits(this IApplicationBuilder app) =>
        app.Use(static (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>() is { MaxRequestBodySize: { } limit })
            {
                if (context.Request.ContentLength > limit)
                {
                    throw new BadHttpRequestException(
                        $"The request body has {context.Request.ContentLength} bytes; this route accepts at most {limit}.",
                        StatusCodes.Status413PayloadTooLarge);
                }

                if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
                {
                    feature.MaxRequestBodySize = limit;
                }
            }

            return next(context);
        });
}
