/**
 * The Azure-compatible REST surface: `/face/{apiVersion}/...` over the active provider, with
 * Azure AI Face v1.2's routes, parameter names, status codes and error bodies.
 */
import express, { type Router } from 'express';
import type { AppServices } from '../graphql/context.js';

export function faceRestRouter(_services: AppServices): Router {
  return express.Router();
}
