/**
 * How this host describes itself to WhatsApp (and in the phone's list of linked devices). A
 * desktop description because `requireFullSync` (full history at pairing) only takes effect for
 * one (validate-connection.js); both transports use it, so the QR codes carry the same.
 */
import { Browsers } from '@whiskeysockets/baileys';

export const BROWSER = Browsers.macOS('Desktop');
