-- DropIndex
DROP INDEX "WebhookDelivery_shop_topic_receivedAt_idx";

-- AlterTable
ALTER TABLE "WebhookDelivery" ALTER COLUMN "payload" SET DATA TYPE JSON;
