// The Anthropic response types the shape tests validate, as shipped in @anthropic-ai/sdk
// (its .d.ts files). Read by specs/anthropic_types.mjs; never compiled into anything.
import type { PageResponse } from '@anthropic-ai/sdk/core/pagination';
import type { ModelInfo } from '@anthropic-ai/sdk/resources/models';

export type { Message, RawMessageStreamEvent, MessageTokensCount } from '@anthropic-ai/sdk/resources/messages/messages';
export type { ModelInfo } from '@anthropic-ai/sdk/resources/models';
export type { ErrorResponse } from '@anthropic-ai/sdk/resources/shared';
/** GET /v1/models: one page of models (the SDK's `Page<ModelInfo>` response). */
export type ModelListResponse = PageResponse<ModelInfo>;
