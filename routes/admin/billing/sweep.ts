// Admin page form: run one reconciliation sweep now.
export { sweepHandler as handler } from "../billing.tsx";
