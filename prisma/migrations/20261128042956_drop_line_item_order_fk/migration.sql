-- DropForeignKey
ALTER TABLE "LineItem" DROP CONSTRAINT "LineItem_shop_orderId_fkey";
